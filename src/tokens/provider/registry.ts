import type { IncomingMessage, ServerResponse } from 'node:http'
import type { default as Provider, InteractionResults } from 'oidc-provider'
import type { Db } from '../../db/database.js'
import type { Tenant } from '../../tenants/tenants.js'
import { artefactAdapter } from '../artefacts.store.js'
import { hasActiveKey, publishedKeys, type SigningKey, startKeys } from '../keys.js'
import {
  accessTokenChecks,
  apiAudience,
  recordAccessToken,
  type VerifiedAccessToken,
} from './access-tokens.js'
import { useHashedClientSecrets } from './client-secret.js'
import { providerConfiguration } from './configuration.js'
import {
  type EndGatewaySession,
  endGatewaySessionOnLogout,
  gatewaySessionPolicy,
} from './gateway-session.js'
import { providerLookups } from './lookups.js'
import { pinOrigin } from './origin.js'
import { grantsInOneWrite } from './one-write.js'
import { answerOutagesWith503 } from './outage.js'
import { countGrants } from '../../metrics/tokens.js'
import { heldLookup } from '../../revocation/cache.js'
import { type RevocationView, revocationKeys } from '../../revocation/view.js'
import { accountClaims } from '../accounts.js'

export type InteractionDetails = Awaited<ReturnType<Provider['interactionDetails']>>

export type TenantProvider = {
  provider: Provider
  /** Serves a request at the provider; `clientIp` is the address Express resolved. */
  handle: (req: IncomingMessage, res: ServerResponse, clientIp: string | undefined) => Promise<void>
  keys: SigningKey[]
  audience: string
  /** The id of the record kept for a signed access token of this tenant, if the signature holds. */
  recordIdOf: (token: string) => Promise<string | undefined>
  /** A signed access token of this tenant, still live, with the user's current claims. */
  verifyAccessToken: (token: string) => Promise<VerifiedAccessToken | undefined>
  /** The browser's open sign-in; undefined when finished, expired, or begun in another browser. */
  openInteraction: (
    req: IncomingMessage,
    res: ServerResponse,
  ) => Promise<InteractionDetails | undefined>
  /** Ends the browser's open sign-in with a result; the provider redirects the browser on. */
  finishInteraction: (
    req: IncomingMessage,
    res: ServerResponse,
    result: InteractionResults,
  ) => Promise<void>
}

type Options = {
  db: Db
  secretKey: string
  endGatewaySession: EndGatewaySession
  /**
   * Keeps what every grant reads (its app, the person's account) per process while it holds:
   * a changed app, membership, user or tenant is an event, and every process stops using what
   * it kept within the view's second. Absent (tests that must see a change at once), each
   * request reads them.
   */
  view?: RevocationView | undefined
}

/**
 * One oidc-provider per tenant host (its issuer is the host's origin: tenant.publicUrl as
 * resolved for the request), created on first use and cached until the tenant changes (its
 * settings, its keys): every process rebuilds within the tenant cache's second. Ten minutes at
 * most also drop retired keys whose tokens have all expired. The hosts of a tenant share its keys.
 */
export function providerRegistry(options: Options) {
  const cache = new Map<string, { stamp: string; entry: Promise<TenantProvider> }>()
  return {
    forTenant(tenant: Tenant): Promise<TenantProvider> {
      const stamp = `${tenant.updatedAt.getTime()}:${Math.floor(Date.now() / 600_000)}`
      const key = `${tenant.id} ${tenant.publicUrl}`
      const cached = cache.get(key)
      if (cached?.stamp === stamp) return cached.entry
      const entry = buildProvider(tenant, options)
      cache.set(key, { stamp, entry })
      entry.catch(() => cache.delete(key))
      return entry
    },
  }
}

async function tenantKeys(db: Db, tenant: Tenant, secretKey: string) {
  const keys = await publishedKeys(db, tenant, secretKey)
  if (hasActiveKey(keys)) return keys
  await db.transaction().execute((tx) => startKeys(tx, tenant, secretKey))
  return publishedKeys(db, tenant, secretKey)
}

async function buildProvider(tenant: Tenant, options: Options) {
  const { db, secretKey, endGatewaySession, view } = options
  const keys = await tenantKeys(db, tenant, secretKey)
  // Loaded on first use: on Node 20 the module warns when imported, which commands other than
  // `serve` (and a misconfigured start) should not print.
  const { default: OidcProvider, errors, interactionPolicy } = await import('oidc-provider')
  const Adapter = artefactAdapter({
    db,
    tenantId: tenant.id,
    replayed: () => new errors.InvalidGrant('grant already used'),
    view,
  })
  // What a person's token says of them: the account's keys are the membership's and the user's.
  const accounts = heldLookup(
    view,
    (userId) => accountClaims(db, tenant, userId),
    (userId) => [
      revocationKeys.tenant(tenant.id),
      revocationKeys.membership(tenant.id, userId),
      revocationKeys.user(userId),
    ],
  )
  const configuration = providerConfiguration({
    tenant,
    keys,
    secretKey,
    adapter: Adapter,
    policy: gatewaySessionPolicy(interactionPolicy),
    callbacks: {
      ...providerLookups(db, tenant, accounts),
      recordAccessToken: recordAccessToken(Adapter) as never,
      invalidTarget: () => new errors.InvalidTarget(),
    },
  })
  const provider = new OidcProvider(tenant.publicUrl, configuration)
  // Forwarded headers are believed because pinOrigin writes them from the tenant's public URL
  // on every request, over whatever the client sent (origin.ts).
  provider.proxy = true
  // First: around everything else the provider runs.
  answerOutagesWith503(provider, tenant)
  grantsInOneWrite(provider, Adapter, () => new errors.InvalidGrant('grant already used'))
  endGatewaySessionOnLogout(provider, endGatewaySession)
  useHashedClientSecrets(provider)
  countGrants(provider, tenant.id)
  const callback = provider.callback()
  // Express resolved the client's address with its TRUST_PROXY rule (the requests are Express's).
  const pinned = (req: IncomingMessage) => {
    pinOrigin(req, tenant.publicUrl, (req as IncomingMessage & { ip?: string }).ip)
    return req
  }

  return {
    provider,
    async handle(req, res, clientIp) {
      pinOrigin(req, tenant.publicUrl, clientIp)
      await callback(req, res)
    },
    keys,
    audience: apiAudience(tenant),
    ...accessTokenChecks({ db, tenant, keys, Adapter, accountOf: accounts }),
    // Our interaction routes enter the provider too: the same pinned origin as its endpoints.
    openInteraction: (req, res) =>
      provider.interactionDetails(pinned(req), res).catch((err: unknown) => {
        if (err instanceof errors.SessionNotFound) return undefined
        throw err
      }),
    async finishInteraction(req, res, result) {
      await provider.interactionFinished(pinned(req), res, result, {
        mergeWithLastSubmission: false,
      })
    },
  } satisfies TenantProvider
}
