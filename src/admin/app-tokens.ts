import { decodeJwt } from 'jose'
import type { Db } from '../db/database.js'
import { normalizeHost } from '../tenants/hosts.js'
import { findTenantForHost, type TenantUrls } from '../tenants/tenants.js'
import { findClient } from '../tokens/apps.js'
import { artefactAdapter } from '../tokens/artefacts.store.js'
import { publishedKeys } from '../tokens/keys.js'
import {
  ADMIN_SCOPE,
  accessTokenChecks,
  type VerifiedAccessToken,
} from '../tokens/provider/access-tokens.js'
import type { ClientPrincipal } from './console-principal.js'

/**
 * The machine app behind a bearer access token, if it may call the admin API: a token of the
 * tenant named by its issuer (found by the issuer's host, and equal to that tenant's issuer),
 * live by the checks every use of the tenant's tokens goes through (signature, issuer, audience,
 * expiry, revocation), issued by the client-credentials grant, with `gateway:admin`, to an app
 * still registered for the admin API. It acts on that tenant alone.
 */
export async function appTokenPrincipal(
  db: Db,
  urls: TenantUrls & { secretKey: string },
  token: string,
): Promise<ClientPrincipal | undefined> {
  const issuer = issuerOf(token)
  const host = issuer && normalizeHost(new URL(issuer).host)
  const tenant = host ? await findTenantForHost(db, host, urls) : undefined
  if (!tenant || tenant.publicUrl !== issuer) return undefined
  const keys = await publishedKeys(db, tenant, urls.secretKey)
  if (!keys.length) return undefined
  const Adapter = artefactAdapter({
    db,
    tenantId: tenant.id,
    replayed: () => new Error('grant already used'),
  })
  const verified = await accessTokenChecks({ db, tenant, keys, Adapter }).verifyAccessToken(token)
  if (!verified || !mayCallAdminApi(verified)) return undefined
  const app = await findClient(db, tenant.id, verified.token.client_id)
  if (!app || app.type !== 'machine' || !app.admin_api) return undefined
  return { kind: 'client', tenantId: tenant.id, clientId: app.client_id, name: app.name }
}

/**
 * A machine's token (client credentials: no person, its subject is the app itself) carrying
 * `gateway:admin`. A person's token never calls the admin API, whatever its scope: an admin
 * uses the console.
 */
export function mayCallAdminApi({ token, account }: VerifiedAccessToken): boolean {
  const machine =
    account === undefined && (token.sub === undefined || token.sub === token.client_id)
  return machine && (token.scope ?? '').split(' ').includes(ADMIN_SCOPE)
}

/** The token's claimed issuer, unverified: it only picks whose keys verify the token. */
function issuerOf(token: string): string | undefined {
  try {
    const iss = decodeJwt(token).iss
    return iss && URL.canParse(iss) ? iss : undefined
  } catch {
    return undefined
  }
}
