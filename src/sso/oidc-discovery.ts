// openid-client's Configuration of each OIDC directory, from the IdP's discovery document:
// strict (one pinned asymmetric algorithm, ID-token signatures checked against the IdP's keys,
// the gateway's clock tolerance, the guarded fetch) and kept a few minutes per directory in this
// process. One of the two modules that load openid-client (test/unit/architecture.test.ts).
import { createHash } from 'node:crypto'
import * as client from 'openid-client'
import { open } from '../lib/seal.js'
import type { OidcDirectory, SsoContext } from './connection.js'
import { guardedFetch } from './fetch.js'
import { pinnedAlgorithm } from './oidc-profile.js'

const DISCOVERY_TTL_MS = 5 * 60_000
const DISCOVERY_ENTRIES = 1000
const TIMEOUT_S = 10
/** The admin API seals the client secret with this purpose (lib/seal.ts binds it). */
const SECRET_PURPOSE = 'oidc-client-secret'

const sha256 = (value: string) => createHash('sha256').update(value).digest('base64url')

type Fetch = NonNullable<SsoContext['fetch']>
const guarded = new Map<boolean, Fetch>()
// The fetch is part of the cache key: two apps of one process may reach IdPs differently.
const fetchIds = new WeakMap<Fetch, number>()
let fetches = 0
/** How this gateway reaches IdPs: the context's fetch, else the guarded one (fetch.ts). */
export const fetchOf = (ctx: SsoContext): Fetch =>
  ctx.fetch ??
  guarded.get(ctx.development) ??
  guarded.set(ctx.development, guardedFetch({ development: ctx.development })).get(ctx.development)!
const fetchId = (fetch: Fetch) => fetchIds.get(fetch) ?? fetchIds.set(fetch, ++fetches).get(fetch)!

const discovered = new Map<
  string,
  { key: string; until: number; config: Promise<client.Configuration> }
>()

async function discover(ctx: SsoContext, directory: OidcDirectory): Promise<client.Configuration> {
  const { issuer, clientId, tokenEndpointAuthMethod } = directory.config
  const secret = open(ctx.secretKey, SECRET_PURPOSE, directory.secretSealed)
  const auth =
    tokenEndpointAuthMethod === 'client_secret_post'
      ? client.ClientSecretPost(secret)
      : client.ClientSecretBasic(secret)
  const options = {
    [client.customFetch]: fetchOf(ctx) as client.CustomFetch,
    timeout: TIMEOUT_S,
    // http only where fetch.ts allows it too (development: an IdP on 127.0.0.1).
    execute: ctx.development ? [client.allowInsecureRequests] : [],
  }
  // Client metadata is fixed when a Configuration is made, and only discovery() applies
  // openid-client's issuer rules (Entra's templated issuer included): discover once to read
  // the algorithms offered, then again with the one pinned.
  const offered = await client.discovery(new URL(issuer), clientId, undefined, auth, options)
  const alg = pinnedAlgorithm(offered.serverMetadata().id_token_signing_alg_values_supported)
  if (!alg) throw new Error('the IdP offers no asymmetric ID-token signing algorithm')
  const metadata = {
    id_token_signed_response_alg: alg,
    [client.clockTolerance]: ctx.clockSkewSeconds,
  }
  const config = await client.discovery(new URL(issuer), clientId, metadata, auth, options)
  // OIDC Core lets a client skip the signature of an ID token from the token endpoint; we do
  // not: without this, unsigned, HMAC-with-the-public-key, badly signed and unknown-kid ID
  // tokens were all accepted (SECURITY-NOTES.md).
  client.enableNonRepudiationChecks(config)
  return config
}

/** The directory's configuration; a changed connection (or secret) is discovered afresh. */
export function configurationOf(
  ctx: SsoContext,
  directory: OidcDirectory,
): Promise<client.Configuration> {
  const { issuer, clientId, tokenEndpointAuthMethod } = directory.config
  const sealed = Buffer.from(directory.secretSealed).toString('base64')
  const key = sha256(
    JSON.stringify([
      issuer,
      clientId,
      tokenEndpointAuthMethod,
      sealed,
      ctx.development,
      ctx.clockSkewSeconds,
      fetchId(fetchOf(ctx)),
    ]),
  )
  const hit = discovered.get(directory.id)
  if (hit && hit.key === key && hit.until > Date.now()) return hit.config
  const config = discover(ctx, directory)
  discovered.delete(directory.id)
  if (discovered.size >= DISCOVERY_ENTRIES) discovered.delete(discovered.keys().next().value!)
  discovered.set(directory.id, { key, until: Date.now() + DISCOVERY_TTL_MS, config })
  // A failure is not remembered: the next sign-in asks the IdP again.
  config.catch(
    () => discovered.get(directory.id)?.config === config && discovered.delete(directory.id),
  )
  return config
}
