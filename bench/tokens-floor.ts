// The floor under bench/tokens.ts: oidc-provider alone, as its README sets it up, with nothing of
// the gateway's: its in-memory adapter (no database), one static confidential client, an account
// answered from memory, the same grant options (client credentials, JWT access tokens for one
// resource, rotated refresh tokens) and a 2048-bit RS256 key, on node:http in a process of its
// own. Forked by bench/tokens.ts; sends the parent its port and the client, then refresh tokens
// to start chains from when asked (minted through the provider's own models, as a code
// exchange would).
import { generateKeyPairSync } from 'node:crypto'
import { createServer } from 'node:http'
import Provider from 'oidc-provider'

const server = createServer()
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
const { port } = server.address() as { port: number }
const issuer = `http://127.0.0.1:${port}`
const audience = `${issuer}/api`
const client = { client_id: 'floor', client_secret: 'floor-secret-floor-secret-floor-secret' }
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
const jwk = { ...privateKey.export({ format: 'jwk' }), alg: 'RS256', use: 'sig', kid: 'floor' }
const claims = { email: 'ada@bench.test', email_verified: true, name: 'Ada' }

const provider = new Provider(issuer, {
  clients: [
    {
      ...client,
      grant_types: ['client_credentials', 'refresh_token', 'authorization_code'],
      redirect_uris: ['https://app.example/callback'],
      scope: 'openid profile email offline_access',
    },
  ],
  jwks: { keys: [jwk as never] },
  scopes: ['openid', 'profile', 'email', 'offline_access'],
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  pkce: { required: () => true },
  rotateRefreshToken: true,
  // The gateway's defaults (tenant settings).
  ttl: {
    AccessToken: 600,
    ClientCredentials: 600,
    IdToken: 3600,
    RefreshToken: 30 * 86_400,
    Grant: 365 * 86_400,
  },
  findAccount: (_ctx, sub) => ({ accountId: sub, claims: () => ({ sub, ...claims }) }),
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => audience,
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({
        scope: 'openid profile email',
        audience,
        accessTokenTTL: 600,
        accessTokenFormat: 'jwt',
        jwt: { sign: { alg: 'RS256' } },
      }),
    },
  },
})
server.on('request', provider.callback())

// Refresh tokens as a code exchange leaves them: a grant of the scopes and resource, and a
// token of it bound to the client. Minted when asked (the memory adapter keeps the last 1,000
// artefacts only: chains minted ahead would be gone by the next round).
const found = await provider.Client.find(client.client_id)
async function mint(count: number) {
  const chains: string[] = []
  for (let i = 0; i < count; i++) {
    const grant = new provider.Grant({ accountId: 'ada', clientId: client.client_id })
    grant.addOIDCScope('openid profile email offline_access')
    grant.addResourceScope(audience, 'openid profile email')
    const grantId = await grant.save()
    const token = new provider.RefreshToken({
      accountId: 'ada',
      client: found!,
      grantId,
      scope: 'openid profile email offline_access',
      resource: audience,
      gty: 'authorization_code',
      authTime: Math.floor(Date.now() / 1000),
    })
    chains.push(await token.save())
  }
  return chains
}
process.on('message', async (count: number) => process.send!({ chains: await mint(count) }))
process.send!({ port, client })
