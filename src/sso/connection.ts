import * as z from 'zod'
import type { Db } from '../db/database.js'
import { isHostName, normalizeHost } from '../tenants/hosts.js'

// The connection of an enterprise directory: what an admin sends (…Input) and what is stored in
// directories.config (…Config, validated again on every read). Secrets are never part of
// either: an OIDC client secret is sealed in directories.secret_sealed.

const EmailDomain = z
  .string()
  .trim()
  .toLowerCase()
  .refine(isHostName, 'a domain name such as "corp.example"')
export const Host = z
  .string()
  .transform((h) => normalizeHost(h) ?? h)
  .refine(isHostName, 'a DNS host name such as "store.example.com"')

/** IdP group -> our role and groups; the first matching entry with a role sets the role. */
export const GroupMapping = z
  .array(
    z.strictObject({
      idpGroup: z.string().min(1).max(256),
      role: z
        .string()
        .regex(/^[A-Za-z0-9_.:-]{1,50}$/, 'a role: letters, digits, _ . : -')
        .optional(),
      groups: z.array(z.string().min(1).max(100)).max(50).default([]),
    }),
  )
  .max(200)
  .default([])
export type GroupMapping = z.output<typeof GroupMapping>

/** Which IdP attribute (SAML) or claim (OIDC) holds each profile field. */
const Mapping = (defaults: Record<'email' | 'firstName' | 'lastName' | 'groups', string>) =>
  z
    .strictObject({
      email: z.string().min(1).max(256).default(defaults.email),
      firstName: z.string().min(1).max(256).default(defaults.firstName),
      lastName: z.string().min(1).max(256).default(defaults.lastName),
      groups: z.string().min(1).max(256).default(defaults.groups),
    })
    .default(defaults)

const Common = {
  name: z.string().trim().min(1).max(200),
  host: Host.optional(),
  emailDomains: z.array(EmailDomain).max(50).default([]),
  groupMapping: GroupMapping,
}

export const SAML_ATTRIBUTES = {
  email: 'email',
  firstName: 'firstName',
  lastName: 'lastName',
  groups: 'groups',
}
export const OIDC_CLAIMS = {
  email: 'email',
  firstName: 'given_name',
  lastName: 'family_name',
  groups: 'groups',
}

export const SamlDirectoryInput = z
  .strictObject({
    kind: z.literal('saml'),
    ...Common,
    metadataXml: z.string().min(1).max(1_000_000).optional(),
    metadataUrl: z
      .url({ protocol: /^https?$/ })
      .max(2000)
      .optional(),
    attributeMapping: Mapping(SAML_ATTRIBUTES),
    allowIdpInitiated: z.boolean().default(false),
  })
  .refine((d) => (d.metadataXml === undefined) !== (d.metadataUrl === undefined), {
    message: 'give either metadataXml or metadataUrl',
    path: ['metadataXml'],
  })

export const OidcDirectoryInput = z.strictObject({
  kind: z.literal('oidc'),
  ...Common,
  issuer: z.url({ protocol: /^https?$/ }).max(2000),
  clientId: z.string().min(1).max(500),
  clientSecret: z.string().min(1).max(2000),
  tokenEndpointAuthMethod: z
    .enum(['client_secret_basic', 'client_secret_post'])
    .default('client_secret_basic'),
  scopes: z
    .array(z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/))
    .max(20)
    .default(['openid', 'email', 'profile']),
  claimMapping: Mapping(OIDC_CLAIMS),
  /** Entra ID multi-tenant apps: the `tid` values let in. */
  allowedTenantIds: z.array(z.string().min(1).max(100)).max(100).default([]),
})

export const DirectoryInput = z.discriminatedUnion('kind', [SamlDirectoryInput, OidcDirectoryInput])
export type SamlDirectoryInput = z.output<typeof SamlDirectoryInput>
export type OidcDirectoryInput = z.output<typeof OidcDirectoryInput>
export type DirectoryInput = z.output<typeof DirectoryInput>

/** What the IdP's metadata says, as last read (from metadataXml or metadataUrl). */
export const SamlIdp = z.object({
  entityId: z.string().min(1),
  ssoUrl: z.string().min(1),
  /** PEM or base64 DER; several at once during an IdP's rollover. */
  certificates: z.array(z.string().min(1)).min(1),
  fetchedAt: z.string().optional(),
})
export type SamlIdp = z.output<typeof SamlIdp>

export const SamlConfig = z.object({
  emailDomains: z.array(z.string()).default([]),
  groupMapping: GroupMapping,
  metadataXml: z.string().optional(),
  metadataUrl: z.string().optional(),
  attributeMapping: Mapping(SAML_ATTRIBUTES),
  allowIdpInitiated: z.boolean().default(false),
  idp: SamlIdp,
})
export type SamlConfig = z.output<typeof SamlConfig>

export const OidcConfig = z.object({
  emailDomains: z.array(z.string()).default([]),
  groupMapping: GroupMapping,
  issuer: z.string(),
  clientId: z.string(),
  tokenEndpointAuthMethod: z.enum(['client_secret_basic', 'client_secret_post']),
  scopes: z.array(z.string()),
  claimMapping: Mapping(OIDC_CLAIMS),
  allowedTenantIds: z.array(z.string()).default([]),
})
export type OidcConfig = z.output<typeof OidcConfig>

/** An enterprise directory as the sign-in code reads it. */
export type EnterpriseDirectory =
  | { id: string; kind: 'saml'; name: string; config: SamlConfig; host: string | null }
  | {
      id: string
      kind: 'oidc'
      name: string
      config: OidcConfig
      host: string | null
      secretSealed: Uint8Array
    }

export type SamlDirectory = Extract<EnterpriseDirectory, { kind: 'saml' }>
export type OidcDirectory = Extract<EnterpriseDirectory, { kind: 'oidc' }>

/** What the protocol code needs of the process (domain files never read the global config). */
export type SsoContext = {
  db: Db
  secretKey: string
  /** Outside production: metadata and discovery may use http and loopback/private addresses. */
  development: boolean
  /** Leeway for SAML time conditions and ID-token times (SSO_CLOCK_SKEW). */
  clockSkewSeconds: number
  /**
   * How the gateway reaches IdPs; absent: fetch.ts guardedFetch under `development`. Tests give
   * one that sends a public IdP's host (Entra's login.microsoftonline.com) to a stand-in.
   */
  fetch?: ((url: string, init?: RequestInit) => Promise<Response>) | undefined
}

/** The SsoContext of a running gateway (or the CLI): what its configuration says. */
export const ssoContextOf = (
  db: Db,
  config: { secretKey: string; isProduction: boolean; ssoClockSkewSeconds: number },
  fetch?: SsoContext['fetch'],
): SsoContext => ({
  db,
  secretKey: config.secretKey,
  development: !config.isProduction,
  clockSkewSeconds: config.ssoClockSkewSeconds,
  ...(fetch && { fetch }),
})

/**
 * The origin of one of the tenant's stored hosts (never the request's Host header as sent):
 * the URLs an IdP is given (entity ID, ACS, redirect URI) are built on it.
 */
export function originOf(tenant: { publicUrl: string; primaryHost: string }, host: string): string {
  const url = new URL(tenant.publicUrl)
  url.hostname = host
  return url.origin
}

/** Where the directory's own URLs live: its dedicated host, else the tenant's primary host. */
export const directoryOrigin = (
  tenant: { publicUrl: string; primaryHost: string },
  directory: { host: string | null },
) => originOf(tenant, directory.host ?? tenant.primaryHost)

/** What the gateway remembers of a sign-in it sent to an IdP, whatever the protocol. */
export type SsoStart = {
  /** Where the person goes afterwards (a safe local path: see http/return-to.ts). */
  returnTo: string
  /** An invitation into this directory that this sign-in is meant to accept. */
  invitationId?: string
  /** The IdP must authenticate the person afresh (SAML ForceAuthn, OIDC prompt=login). */
  fresh?: boolean
}

/** What the customer's IT copies into their IdP for a SAML directory. */
export function samlUrls(
  tenant: { publicUrl: string; primaryHost: string },
  directory: { id: string; host: string | null },
  host?: string,
) {
  const home = directoryOrigin(tenant, directory)
  const base = `/sso/saml/${directory.id}`
  return {
    entityId: `${home}${base}/metadata`,
    metadataUrl: `${home}${base}/metadata`,
    /** The ACS on `host` (the one the sign-in started on), else on the directory's home. */
    acsUrl: `${host ? originOf(tenant, host) : home}${base}/acs`,
  }
}

/** The redirect URI to register at the company's OpenID Provider (one per host served). */
export function oidcRedirectUri(
  tenant: { publicUrl: string; primaryHost: string },
  directory: { id: string; host: string | null },
  host?: string,
) {
  const origin = host ? originOf(tenant, host) : directoryOrigin(tenant, directory)
  return `${origin}/sso/oidc/${directory.id}/callback`
}

/** One finding of `POST …/directories/{id}/test`, in words an admin can act on. */
export type DirectoryCheck = { check: string; ok: boolean; message: string }
