import * as z from 'zod'
import type { Tenant } from '../tenants/tenants.js'
import type { DirectoryCheck, OidcDirectory, SsoContext } from './connection.js'
import { fetchOf } from './oidc-discovery.js'
import { pinnedAlgorithm } from './oidc-profile.js'

// `POST …/directories/{id}/test` for an OIDC connection: the IdP's discovery document and keys
// read the way sign-in reads them (same fetch rules), each finding in words an admin can act on.

const Discovery = z.looseObject({
  issuer: z.string(),
  authorization_endpoint: z.string(),
  token_endpoint: z.string(),
  jwks_uri: z.string(),
  id_token_signing_alg_values_supported: z.array(z.string()).optional(),
  token_endpoint_auth_methods_supported: z.array(z.string()).optional(),
})
const Jwks = z.object({
  keys: z.array(z.looseObject({ kty: z.string(), use: z.string().optional() })),
})

/** The key type an algorithm verifies with. */
const ktyOf = (alg: string) => (alg.startsWith('ES') ? 'EC' : alg.startsWith('Ed') ? 'OKP' : 'RSA')

const reasonOf = (err: unknown) =>
  err instanceof z.ZodError
    ? `it is not a valid document (${z.prettifyError(err).replace(/\n/g, ' ')})`
    : err instanceof Error
      ? err.cause instanceof Error
        ? err.cause.message
        : err.message
      : String(err)

async function getJson(fetch: NonNullable<SsoContext['fetch']>, url: string) {
  const response = await fetch(url, { headers: { accept: 'application/json' } })
  if (response.status !== 200) {
    await response.body?.cancel()
    throw new Error(`it answered HTTP ${response.status}`)
  }
  return { json: (await response.json()) as unknown, date: response.headers.get('date') }
}

/** Discovery, issuer, algorithms, keys, client authentication, clocks: in plain words. */
export async function checkOidcDirectory(
  ctx: SsoContext,
  input: { tenant: Tenant; directory: OidcDirectory },
): Promise<DirectoryCheck[]> {
  const { config } = input.directory
  const fetch = fetchOf(ctx)
  const checks: DirectoryCheck[] = []
  const say = (check: string, ok: boolean, message: string) => checks.push({ check, ok, message })

  const issuer = new URL(config.issuer)
  const url = `${issuer.href.replace(/\/$/, '')}/.well-known/openid-configuration`
  let meta: z.output<typeof Discovery>
  let date: string | null
  try {
    const answer = await getJson(fetch, url)
    meta = Discovery.parse(answer.json)
    date = answer.date
  } catch (err) {
    say(
      'discovery',
      false,
      `The gateway could not read the IdP's discovery document at ${url}: ${reasonOf(err)}.`,
    )
    return checks
  }
  say('discovery', true, `The IdP's discovery document at ${url} was read.`)

  // openid-client's rule: the document names the issuer it was fetched for, except Entra ID's
  // multi-tenant endpoints, whose issuer is a template filled in by each token's `tid`.
  const entra =
    issuer.origin === 'https://login.microsoftonline.com' && meta.issuer.includes('{tenantid}')
  if (entra)
    say(
      'issuer',
      config.allowedTenantIds.length > 0,
      config.allowedTenantIds.length > 0
        ? `Entra ID multi-tenant: people of ${config.allowedTenantIds.length} Entra tenant(s) (allowedTenantIds) are let in.`
        : 'Entra ID multi-tenant: no Entra tenant is let in until allowedTenantIds names one.',
    )
  else if (URL.canParse(meta.issuer) && new URL(meta.issuer).href === issuer.href)
    say('issuer', true, `The IdP names itself ${meta.issuer}, as configured.`)
  else
    say(
      'issuer',
      false,
      `The IdP names itself ${meta.issuer}, not ${config.issuer}: set the connection's issuer to the IdP's own.`,
    )

  const alg = pinnedAlgorithm(meta.id_token_signing_alg_values_supported)
  const offered = meta.id_token_signing_alg_values_supported?.join(', ') || 'none'
  if (alg)
    say('algorithm', true, `ID tokens must be signed with ${alg} (the IdP offers ${offered}).`)
  else
    say(
      'algorithm',
      false,
      `The IdP offers no public-key algorithm for ID tokens (it offers ${offered}); sign-in needs one, such as RS256.`,
    )

  try {
    const { keys } = Jwks.parse((await getJson(fetch, meta.jwks_uri)).json)
    const usable = keys.filter((k) => k.use !== 'enc' && (!alg || k.kty === ktyOf(alg)))
    if (usable.length > 0)
      say('keys', true, `The IdP publishes ${usable.length} key(s) that can verify its ID tokens.`)
    else
      say(
        'keys',
        false,
        `The IdP's key set at ${meta.jwks_uri} has no key that can verify ${alg ?? 'its'} ID tokens.`,
      )
  } catch (err) {
    say(
      'keys',
      false,
      `The gateway could not read the IdP's keys at ${meta.jwks_uri}: ${reasonOf(err)}.`,
    )
  }

  // RFC 8414 2: a document that lists no method means client_secret_basic.
  const methods = meta.token_endpoint_auth_methods_supported ?? ['client_secret_basic']
  const method = config.tokenEndpointAuthMethod
  if (methods.includes(method)) say('client authentication', true, `The IdP accepts ${method}.`)
  else
    say(
      'client authentication',
      false,
      `The IdP does not accept ${method} (it accepts ${methods.join(', ')}): choose one of those.`,
    )

  const skew = date ? Math.round((Date.parse(date) - Date.now()) / 1000) : NaN
  const allowed = ctx.clockSkewSeconds + 1 // the Date header counts whole seconds
  if (Number.isNaN(skew))
    say('clock', true, 'The IdP sent no Date header: its clock could not be compared.')
  else if (Math.abs(skew) <= allowed)
    say('clock', true, `The IdP's clock and the gateway's agree (within ${Math.abs(skew)} s).`)
  else
    say(
      'clock',
      false,
      `The IdP's clock is ${Math.abs(skew)} s ${skew > 0 ? 'ahead of' : 'behind'} the gateway's, more than the ${ctx.clockSkewSeconds} s allowed (SSO_CLOCK_SKEW): its ID tokens would be refused. One of the two clocks needs fixing.`,
    )
  return checks
}
