import * as z from 'zod'
import type { Tx } from '../db/database.js'
import { AppError } from '../errors.js'
import { seal } from '../lib/seal.js'
import { parse } from '../lib/validate.js'
import { releaseDirectoryHost, setDirectoryHost } from '../tenants/tenant-hosts.js'
import {
  getTenantById,
  listDirectories,
  markTenantChanged,
  type Tenant,
  type TenantUrls,
} from '../tenants/tenants.js'
import {
  DirectoryInput,
  OidcDirectoryInput,
  type SamlConfig,
  SamlDirectoryInput,
  type SsoContext,
} from './connection.js'
import * as queries from './directories.queries.js'
import { toEnterpriseDirectory } from './directories.js'
import { type DirectoryJson, directoryJson } from './directories-view.js'
import { readIdpMetadata } from './metadata.js'
import { urlProblem } from './fetch.js'

// Creating, changing and deleting a tenant's enterprise directories. Metadata is fetched before
// the transaction opens: no lock and no connection is held during a network call.

/** The purpose the OIDC client secret is sealed under (src/sso/oidc.ts opens it). */
export const OIDC_SECRET_PURPOSE = 'oidc-client-secret'

export type DirectoryUrls = TenantUrls & { baseDomain: string }

// PATCH bodies: every field optional and no defaults (a default would overwrite what is set).
const optional = <S extends Record<string, z.ZodType>>(shape: S) =>
  Object.fromEntries(
    Object.entries(shape).map(([k, s]) => [
      k,
      (s instanceof z.ZodDefault ? (s.unwrap() as z.ZodType) : s).optional(),
    ]),
  ) as { [K in keyof S]: z.ZodOptional<S[K]> }
const { kind: _s, host: sHost, ...samlShape } = SamlDirectoryInput.shape
const { kind: _o, host: oHost, ...oidcShape } = OidcDirectoryInput.shape
export const SamlDirectoryPatch = z
  .strictObject({ ...optional(samlShape), host: sHost.unwrap().nullable().optional() })
  .refine((p) => p.metadataXml === undefined || p.metadataUrl === undefined, {
    message: 'give either metadataXml or metadataUrl, not both',
    path: ['metadataXml'],
  })
export const OidcDirectoryPatch = z.strictObject({
  ...optional(oidcShape),
  host: oHost.unwrap().nullable().optional(),
})

export async function createDirectory(
  ctx: SsoContext,
  input: { tenant: Tenant; body: unknown; urls: DirectoryUrls },
): Promise<DirectoryJson> {
  const body = parse(DirectoryInput, input.body)
  const { tenant } = input
  const prepared =
    body.kind === 'saml'
      ? {
          config: {
            ...commonConfig(body),
            ...(body.metadataUrl && { metadataUrl: body.metadataUrl }),
            attributeMapping: body.attributeMapping,
            allowIdpInitiated: body.allowIdpInitiated,
            idp: await readIdpMetadata(policy(ctx), metadataSource(body)),
          },
          secretSealed: null,
        }
      : {
          config: { ...commonConfig(body), ...oidcConfig(ctx, body) },
          secretSealed: seal(ctx.secretKey, OIDC_SECRET_PURPOSE, body.clientSecret),
        }
  const id = await ctx.db.transaction().execute(async (tx) => {
    await queries.lockTenantDirectories(tx, tenant.id)
    await checkEmailDomains(tx, tenant.id, body.emailDomains)
    const id = await queries.insertDirectoryRow(tx, {
      tenantId: tenant.id,
      kind: body.kind,
      name: body.name,
      ...prepared,
      host: undefined,
    })
    if (body.host) await setDirectoryHost(tx, tenant, id, body.host, input.urls.baseDomain)
    return id
  })
  return reread(ctx, tenant.id, id, input.urls)
}

/** A partial change; new metadata is read again, a new client secret sealed again. */
export async function updateDirectory(
  ctx: SsoContext,
  input: { tenant: Tenant; id: string; body: unknown; urls: DirectoryUrls },
): Promise<DirectoryJson> {
  const { tenant } = input
  const row = await requireRow(ctx, tenant.id, input.id)
  const current = toEnterpriseDirectory(row)
  let config: object
  let secretSealed: Uint8Array | undefined
  let patch: z.output<typeof SamlDirectoryPatch> | z.output<typeof OidcDirectoryPatch>
  if (current.kind === 'saml') {
    const p = parse(SamlDirectoryPatch, input.body)
    patch = p
    const { host: _h, metadataXml, metadataUrl, ...fields } = p
    const source = metadataXml ?? metadataUrl
    const kept = (row.config as { metadataRefresh?: unknown }).metadataRefresh
    config = {
      ...withoutSource(current.config),
      ...defined(fields),
      ...(fields.emailDomains && { emailDomains: [...new Set(fields.emailDomains)] }),
      ...(source === undefined
        ? {
            ...(current.config.metadataUrl && { metadataUrl: current.config.metadataUrl }),
            ...(kept !== undefined && { metadataRefresh: kept }),
          }
        : {
            ...(metadataUrl && { metadataUrl }),
            idp: await readIdpMetadata(
              policy(ctx),
              metadataXml !== undefined ? { metadataXml } : { metadataUrl: metadataUrl as string },
            ),
          }),
    }
  } else {
    const p = parse(OidcDirectoryPatch, input.body)
    patch = p
    const { host: _h, clientSecret, ...fields } = p
    config = { ...current.config, ...defined(fields) }
    if (fields.emailDomains)
      Object.assign(config, { emailDomains: [...new Set(fields.emailDomains)] })
    if (fields.issuer) checkIssuer(ctx, fields.issuer)
    if (clientSecret) secretSealed = seal(ctx.secretKey, OIDC_SECRET_PURPOSE, clientSecret)
  }
  await ctx.db.transaction().execute(async (tx) => {
    await queries.lockTenantDirectories(tx, tenant.id)
    if (patch.emailDomains) await checkEmailDomains(tx, tenant.id, patch.emailDomains, input.id)
    const change = {
      config,
      ...(patch.name !== undefined && { name: patch.name }),
      ...(secretSealed && { secretSealed }),
    }
    await queries.updateDirectoryRow(tx, tenant.id, input.id, change, new Date())
    if (patch.host !== undefined)
      await setDirectoryHost(tx, tenant, input.id, patch.host, input.urls.baseDomain)
  })
  return reread(ctx, tenant.id, input.id, input.urls)
}

/**
 * Deletes the directory, its people's memberships and sessions in this tenant and its hosts.
 * Refused while it is the tenant's only directory: nobody could sign in any more.
 */
export async function deleteDirectory(
  tx: Tx,
  input: { tenant: Tenant; id: string },
): Promise<{ id: string; kind: string; name: string }> {
  const { tenant, id } = input
  await queries.lockTenantDirectories(tx, tenant.id)
  // The row as stored: a directory whose connection no longer validates can still be deleted.
  const row = await requireRow({ db: tx }, tenant.id, id)
  const others = (await listDirectories(tx, tenant.id)).filter((d) => d.id !== id)
  if (others.length === 0)
    throw new AppError(
      'conflict',
      'This is the only directory of the tenant: without it nobody could sign in. Add another directory first.',
    )
  await releaseDirectoryHost(tx, tenant.id, id)
  await queries.deleteDirectoryRows(tx, tenant.id, id)
  await markTenantChanged(tx, tenant.id)
  return { id: row.id, kind: row.kind, name: row.name }
}

const policy = (ctx: Pick<SsoContext, 'development'>) => ({ development: ctx.development })

const metadataSource = (body: {
  metadataXml?: string | undefined
  metadataUrl?: string | undefined
}) =>
  body.metadataXml !== undefined
    ? { metadataXml: body.metadataXml }
    : { metadataUrl: body.metadataUrl as string }

const commonConfig = (body: DirectoryInput) => ({
  emailDomains: [...new Set(body.emailDomains)],
  groupMapping: body.groupMapping,
})

function oidcConfig(ctx: SsoContext, body: z.output<typeof OidcDirectoryInput>) {
  checkIssuer(ctx, body.issuer)
  return {
    issuer: body.issuer,
    clientId: body.clientId,
    tokenEndpointAuthMethod: body.tokenEndpointAuthMethod,
    scopes: body.scopes,
    claimMapping: body.claimMapping,
    allowedTenantIds: body.allowedTenantIds,
  }
}

// The issuer is fetched (discovery) under the same rule as a metadata URL.
function checkIssuer(ctx: SsoContext, issuer: string): void {
  const problem = urlProblem(policy(ctx), issuer)
  if (problem) {
    const message = `The issuer ${problem}.`
    throw new AppError('invalid_request', message, {
      details: { fields: { issuer: [message] }, form: [] },
    })
  }
}

const withoutSource = ({ metadataUrl: _u, metadataXml: _x, ...rest }: SamlConfig) => rest
const defined = <T extends object>(o: T) =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>

/** Email domains route sign-ins to one directory: each at most once among the tenant's. */
async function checkEmailDomains(tx: Tx, tenantId: string, domains: string[], except?: string) {
  const rows = await queries.listDirectoryRows(tx, tenantId)
  for (const row of rows) {
    if (row.id === except) continue
    const taken = (row.config as { emailDomains?: unknown }).emailDomains
    const clash = domains.find((d) => Array.isArray(taken) && taken.includes(d))
    if (clash)
      throw new AppError(
        'conflict',
        `The email domain "${clash}" already signs in with the directory "${row.name}".`,
        { details: { field: 'emailDomains', domain: clash, directory: row.id } },
      )
  }
}

async function requireRow(ctx: Pick<SsoContext, 'db'>, tenantId: string, id: string) {
  const row = z.uuid().safeParse(id).success
    ? await queries.findDirectoryRow(ctx.db, tenantId, id)
    : undefined
  if (!row) throw new AppError('not_found', 'There is no such directory.')
  return row
}

async function reread(
  ctx: SsoContext,
  tenantId: string,
  id: string,
  urls: DirectoryUrls,
): Promise<DirectoryJson> {
  const row = await requireRow(ctx, tenantId, id)
  const tenant = await getTenantById(ctx.db, tenantId, urls)
  if (!tenant) throw new AppError('not_found', 'There is no such tenant.')
  return directoryJson(tenant, row)
}
