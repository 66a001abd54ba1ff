import * as z from 'zod'
import { AppError } from '../errors.js'
import { seal } from '../lib/seal.js'
import { parse } from '../lib/validate.js'
import {
  DirectoryInput,
  OidcDirectoryInput,
  SamlDirectoryInput,
  type SsoContext,
} from './connection.js'
import { urlProblem } from './fetch.js'
import { readIdpMetadata } from './metadata.js'

// What an admin sends, turned into what is stored: the connection (directories.config) with
// the IdP's metadata read, and the OIDC client secret sealed. Network calls happen here, before
// any transaction opens.

/** The purpose the OIDC client secret is sealed under (src/sso/oidc.ts opens it). */
export const OIDC_SECRET_PURPOSE = 'oidc-client-secret'

// PATCH bodies: every field optional and no defaults (a default would overwrite what is set).
const optional = <S extends Record<string, z.ZodType>>(shape: S) =>
  Object.fromEntries(
    Object.entries(shape).map(([k, s]) => [
      k,
      (s instanceof z.ZodDefault ? (s.unwrap() as z.ZodType) : s).optional(),
    ]),
  ) as { [K in keyof S]: z.ZodOptional<S[K]> }
const { kind: _s, host: samlHost, ...samlShape } = SamlDirectoryInput.shape
const { kind: _o, host: oidcHost, ...oidcShape } = OidcDirectoryInput.shape
export const SamlDirectoryPatch = z
  .strictObject({ ...optional(samlShape), host: samlHost.unwrap().nullable().optional() })
  .refine((p) => p.metadataXml === undefined || p.metadataUrl === undefined, {
    message: 'give either metadataXml or metadataUrl, not both',
    path: ['metadataXml'],
  })
export const OidcDirectoryPatch = z.strictObject({
  ...optional(oidcShape),
  host: oidcHost.unwrap().nullable().optional(),
})

export type NewDirectory = {
  body: DirectoryInput
  config: Record<string, unknown>
  secretSealed: Uint8Array | null
}

/** A new directory's stored form: its metadata read (SAML), its secret sealed (OIDC). */
export async function prepareDirectory(ctx: SsoContext, input: unknown): Promise<NewDirectory> {
  const body = parse(DirectoryInput, input)
  const common = { emailDomains: [...new Set(body.emailDomains)], groupMapping: body.groupMapping }
  if (body.kind === 'saml') {
    const { metadataXml, metadataUrl } = body
    const source = metadataXml !== undefined ? { metadataXml } : { metadataUrl: metadataUrl! }
    const config = {
      ...common,
      ...(metadataUrl && { metadataUrl }),
      attributeMapping: body.attributeMapping,
      allowIdpInitiated: body.allowIdpInitiated,
      idp: await readIdpMetadata(policy(ctx), source),
    }
    return { body, config, secretSealed: null }
  }
  const { kind: _k, name: _n, host: _h, emailDomains: _e, groupMapping: _g, ...oidc } = body
  const { clientSecret, ...config } = oidc
  checkIssuer(ctx, config.issuer)
  const secretSealed = seal(ctx.secretKey, OIDC_SECRET_PURPOSE, clientSecret)
  return { body, config: { ...common, ...config }, secretSealed }
}

export type DirectoryPatch = {
  name?: string | undefined
  /** undefined: unchanged; null: no dedicated host any more. */
  host?: string | null | undefined
  emailDomains?: string[] | undefined
  /** Merged into the stored connection; `drop` leaves it. */
  config: Record<string, unknown>
  drop: string[]
  secretSealed?: Uint8Array
}

/** A partial change: new metadata read again, a new client secret sealed again. */
export async function preparePatch(
  ctx: SsoContext,
  kind: 'saml' | 'oidc',
  input: unknown,
): Promise<DirectoryPatch> {
  if (kind === 'saml') {
    const { name, host, metadataXml, metadataUrl, ...fields } = parse(SamlDirectoryPatch, input)
    const base = { name, host, emailDomains: fields.emailDomains, config: changed(fields) }
    if (metadataXml === undefined && metadataUrl === undefined) return { ...base, drop: [] }
    const source = metadataXml !== undefined ? { metadataXml } : { metadataUrl: metadataUrl! }
    const idp = await readIdpMetadata(policy(ctx), source)
    return {
      ...base,
      config: { ...base.config, idp, ...(metadataUrl && { metadataUrl }) },
      // A new source starts a new refresh history; uploaded XML is not refreshed at all.
      drop: ['metadataRefresh', ...(metadataXml !== undefined ? ['metadataUrl'] : [])],
    }
  }
  const { name, host, clientSecret, ...fields } = parse(OidcDirectoryPatch, input)
  if (fields.issuer) checkIssuer(ctx, fields.issuer)
  return {
    name,
    host,
    emailDomains: fields.emailDomains,
    config: changed(fields),
    drop: [],
    ...(clientSecret && { secretSealed: seal(ctx.secretKey, OIDC_SECRET_PURPOSE, clientSecret) }),
  }
}

const policy = (ctx: Pick<SsoContext, 'development'>) => ({ development: ctx.development })

function changed(fields: Record<string, unknown>): Record<string, unknown> {
  const given = Object.entries(fields).filter(([, v]) => v !== undefined)
  const config = Object.fromEntries(given)
  if (Array.isArray(config.emailDomains)) config.emailDomains = [...new Set(config.emailDomains)]
  return config
}

// The issuer is fetched (discovery) under the same rule as a metadata URL.
function checkIssuer(ctx: SsoContext, issuer: string): void {
  const problem = urlProblem(policy(ctx), issuer)
  if (!problem) return
  const message = `The issuer ${problem}.`
  throw new AppError('invalid_request', message, {
    details: { fields: { issuer: [message] }, form: [] },
  })
}
