import * as z from 'zod'
import { DirectoryInput } from '../sso/connection.js'
import { OidcDirectoryPatch, SamlDirectoryPatch } from '../sso/directories-input.js'
import { AddHostInput } from '../tenants/tenant-hosts.js'

// The admin API's enterprise directories and tenant hosts (issue 10). Bodies come from the zod
// schemas the routes parse; answers are written out, since they are built by hand (allowlists).

const schema = (s: z.ZodType) => z.toJSONSchema(s, { io: 'input', unrepresentable: 'any' })
const json = (s: object) => ({ content: { 'application/json': { schema: s } } })
const body = (s: object) => ({ required: true, ...json(s) })
const ok = (description: string, s: object) => ({ description, ...json(s) })
const errors = { $ref: '#/components/responses/Error' }
const std = { 400: errors, 401: errors, 404: errors }
const slug = { name: 'slug', in: 'path', required: true, schema: { type: 'string' } }
const id = { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } }
const host = { name: 'host', in: 'path', required: true, schema: { type: 'string' } }

const str = { type: 'string' }
const strings = { type: 'array', items: str }
const nullableStr = { type: ['string', 'null'] }
const certificate = {
  type: 'object',
  required: ['subject', 'issuer', 'fingerprintSha256', 'notBefore', 'notAfter', 'expired'],
  properties: {
    subject: str,
    issuer: str,
    fingerprintSha256: { ...str, description: 'SHA-256 of the DER, hex pairs joined by ":"' },
    notBefore: { ...str, format: 'date-time' },
    notAfter: { ...str, format: 'date-time' },
    expired: { type: 'boolean' },
  },
}
const common = {
  id: { ...str, format: 'uuid' },
  name: str,
  host: { ...nullableStr, description: 'The dedicated host bound to this directory' },
  emailDomains: strings,
  groupMapping: { type: 'array', items: { type: 'object' } },
  createdAt: { ...str, format: 'date-time' },
  updatedAt: { ...str, format: 'date-time' },
  problem: {
    ...str,
    description: 'Set instead of the connection when its stored config is invalid',
  },
}
/** A directory as the API answers it: the fields of every kind, then those of `kind`. */
const directoryOf = (kind: 'saml' | 'oidc', properties: object) => ({
  type: 'object',
  required: ['id', 'kind', 'name'],
  properties: { ...common, kind: { const: kind }, ...properties },
})
const samlDirectory = directoryOf('saml', {
  metadataUrl: { ...str, description: 'Refreshed daily' },
  attributeMapping: { type: 'object' },
  allowIdpInitiated: { type: 'boolean' },
  idp: {
    type: 'object',
    properties: {
      entityId: str,
      ssoUrl: str,
      fetchedAt: { ...str, format: 'date-time' },
      certificates: { type: 'array', items: certificate },
    },
  },
  metadataRefresh: {
    type: 'object',
    properties: { attemptedAt: str, succeededAt: str, error: str },
  },
  sp: {
    type: 'object',
    description: "What the customer's IT copies into the IdP",
    properties: { entityId: str, acsUrl: str, metadataUrl: str, acsUrls: strings },
  },
})
const oidcDirectory = directoryOf('oidc', {
  issuer: str,
  clientId: str,
  hasClientSecret: { type: 'boolean', description: 'The secret itself is never returned' },
  tokenEndpointAuthMethod: { enum: ['client_secret_basic', 'client_secret_post'] },
  scopes: strings,
  claimMapping: { type: 'object' },
  allowedTenantIds: strings,
  rp: {
    type: 'object',
    description: 'The redirect URIs to register at the IdP (one per host of the tenant)',
    properties: { redirectUri: str, redirectUris: strings },
  },
})
const directory = { oneOf: [samlDirectory, oidcDirectory] }
const check = {
  type: 'object',
  required: ['check', 'ok', 'message'],
  properties: { check: str, ok: { type: 'boolean' }, message: str },
}
const hosts = {
  type: 'object',
  properties: {
    primaryHost: str,
    hosts: {
      type: 'array',
      items: {
        type: 'object',
        properties: { host: str, primary: { type: 'boolean' }, directory: nullableStr },
      },
    },
  },
}

export const directoryPaths = {
  '/tenants/{slug}/directories': {
    post: {
      summary:
        'Connect a SAML 2.0 or OpenID Connect directory (metadata read now; a metadataUrl is refreshed daily)',
      parameters: [slug],
      requestBody: body(schema(DirectoryInput)),
      responses: {
        201: ok('The directory, with sp (SAML) or rp (OIDC)', directory),
        409: errors,
        ...std,
      },
    },
    get: {
      summary: "The tenant's enterprise directories (no secrets)",
      parameters: [slug],
      responses: {
        200: ok('{directories}', {
          type: 'object',
          properties: { directories: { type: 'array', items: directory } },
        }),
        ...std,
      },
    },
  },
  '/tenants/{slug}/directories/{id}': {
    get: {
      summary: 'One directory, IdP certificates with their expiry',
      parameters: [slug, id],
      responses: { 200: ok('The directory', directory), ...std },
    },
    patch: {
      summary:
        'Change some fields (new metadata is read again, a new client secret sealed again; host null removes the dedicated host)',
      parameters: [slug, id],
      requestBody: body({ oneOf: [schema(SamlDirectoryPatch), schema(OidcDirectoryPatch)] }),
      responses: { 200: ok('The directory', directory), 409: errors, ...std },
    },
    delete: {
      summary:
        "Delete the directory, its users' memberships and sessions here and its hosts (409 while it is the tenant's only directory)",
      parameters: [slug, id],
      responses: { 204: { description: 'Deleted' }, 409: errors, ...std },
    },
  },
  '/tenants/{slug}/directories/{id}/test': {
    post: {
      summary: 'Check the connection: metadata or discovery, certificates, clocks, in plain words',
      parameters: [slug, id],
      responses: {
        200: ok('{ok, checks}', {
          type: 'object',
          properties: { ok: { type: 'boolean' }, checks: { type: 'array', items: check } },
        }),
        ...std,
      },
    },
  },
  '/tenants/{slug}/directories/{id}/sp-keys/rotate': {
    post: {
      summary:
        "One step of the SAML SP key rotation: 'staged' publishes a new key in the SP metadata; the next call, once the IdP has read it, 'promoted' signs with it (the old key stays published until it expires)",
      parameters: [slug, id],
      responses: {
        200: ok('{step, kid, keys}', {
          type: 'object',
          required: ['step', 'kid', 'keys'],
          properties: {
            step: { type: 'string', enum: ['staged', 'promoted'] },
            kid: { type: 'string' },
            keys: {
              type: 'array',
              items: {
                type: 'object',
                properties: {
                  kid: { type: 'string' },
                  state: { type: 'string', enum: ['next', 'active', 'retired'] },
                  notAfter: { type: 'string', format: 'date-time' },
                },
              },
            },
          },
        }),
        ...std,
      },
    },
  },
  '/tenants/{slug}/hosts': {
    post: {
      summary:
        'Add a host to the tenant, optionally dedicated to one of its enterprise directories',
      parameters: [slug],
      requestBody: body(schema(AddHostInput)),
      responses: { 201: ok("The tenant's hosts", hosts), 409: errors, ...std },
    },
  },
  '/tenants/{slug}/hosts/{host}': {
    delete: {
      summary:
        "Remove a host (409 for the primary host, the built-in {slug}.BASE_DOMAIN and a directory's dedicated host, with the reason)",
      parameters: [slug, host],
      responses: { 204: { description: 'Removed' }, 409: errors, ...std },
    },
  },
}
