import * as z from 'zod'
import { ERROR_CODES } from '../errors.js'
import { PublishTermsInput } from '../identity/terms.js'
import { InviteInput } from '../invitations/invitations.js'
import { ListQuery } from '../invitations/list.js'
import { TemplateBody } from '../mail/templates.routes.js'
import { CreateTenantInput, SettingsPatch } from '../tenants/tenants.js'
import { CreateAppInput, UpdateAppInput } from '../tokens/apps.js'
import { accessRequestPaths, accessRequestSchemas } from './openapi-access-requests.js'
import { auditPaths } from './openapi-audit.js'
import { outboxPaths } from './openapi-outbox.js'
import { consoleSecurityScheme, listTenantsOperation } from './openapi-console.js'
import { directoryPaths } from './openapi-directories.js'
import { exportPaths } from './openapi-exports.js'
import { memberPaths, memberSchemas } from './openapi-members.js'
import { importPaths, importSchemas } from './openapi-imports.js'
import { pagesPaths } from './openapi-pages.js'

// Request bodies come from the same zod schemas the routes parse with, so the document cannot
// drift from what the API accepts.
const schema = (s: z.ZodType) => z.toJSONSchema(s, { io: 'input', unrepresentable: 'any' })
const json = (s: object) => ({ content: { 'application/json': { schema: s } } })
const body = (s: z.ZodType) => ({ required: true, ...json(schema(s)) })
const ok = (description: string, s: object = { type: 'object' }) => ({ description, ...json(s) })
const errors = { $ref: '#/components/responses/Error' }
const slug = { name: 'slug', in: 'path', required: true, schema: { type: 'string' } }
const id = { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } }
const template = [
  slug,
  ...['name', 'locale'].map((n) => ({
    name: n,
    in: 'path',
    required: true,
    schema: { type: 'string' },
  })),
]
const clientId = { name: 'clientId', in: 'path', required: true, schema: { type: 'string' } }
const std = { 400: errors, 401: errors, 404: errors }
const idempotencyKey = {
  name: 'Idempotency-Key',
  in: 'header',
  required: false,
  description:
    'Any 1-255 visible ASCII characters: a repeat within 24 h answers the first result (a different body: 422; while the first still runs, the repeat waits for it)',
  schema: { type: 'string', maxLength: 255 },
}

export function openApiDocument() {
  const query = Object.entries(schema(ListQuery).properties ?? {}).map(([name, s]) => ({
    name,
    in: 'query',
    schema: s,
  }))
  return {
    openapi: '3.1.0',
    info: { title: 'Auth gateway admin API', version: '1' },
    servers: [{ url: '/admin/api/v1' }],
    security: [{ apiKey: [] }, { appToken: ['gateway:admin'] }, { consoleSession: [] }],
    components: {
      securitySchemes: {
        apiKey: {
          type: 'http',
          scheme: 'bearer',
          description: 'gwk_… keys from `gateway api-key create`',
        },
        appToken: {
          type: 'oauth2',
          description:
            "A tenant's machine app registered with `adminApi: true` gets an access token from its " +
            "tenant's OpenID Provider by the client-credentials grant with the scope `gateway:admin`, " +
            'and sends it as a bearer token. It acts on that tenant alone (another tenant: 404); a ' +
            "person's token (authorization code) is refused whatever its scope.",
          flows: {
            clientCredentials: {
              tokenUrl: 'https://{tenant host}/token',
              scopes: { 'gateway:admin': "The admin API, on the app's own tenant" },
            },
          },
        },
        consoleSession: consoleSecurityScheme,
      },
      schemas: {
        Error: {
          type: 'object',
          required: ['error', 'message', 'details'],
          properties: {
            error: { enum: [...ERROR_CODES, 'internal_error'] },
            message: { type: 'string' },
            details: {},
          },
        },
        ...memberSchemas,
        ...accessRequestSchemas,
        ...importSchemas,
      },
      responses: {
        Error: ok('An error: {error, message, details}', { $ref: '#/components/schemas/Error' }),
      },
    },
    paths: {
      '/tenants': {
        get: listTenantsOperation,
        post: {
          summary: 'Create a tenant (platform key)',
          requestBody: body(
            CreateTenantInput.extend({ shareDirectoryWith: z.string().optional() }),
          ),
          responses: { 201: ok('The tenant'), 403: errors, 409: errors, ...std },
        },
      },
      '/tenants/{slug}': {
        get: {
          summary: 'A tenant',
          parameters: [slug],
          responses: { 200: ok('The tenant'), ...std },
        },
      },
      '/tenants/{slug}/settings': {
        patch: {
          summary:
            'Change settings (invite TTL, cooldown, reminders, retention, warnings, password policy, Terms, store kind, locale)',
          parameters: [slug],
          requestBody: body(SettingsPatch),
          responses: { 200: ok('The new settings'), ...std },
        },
      },
      '/tenants/{slug}/invitations': {
        post: {
          summary: 'Invite people (a list, or pasted text)',
          parameters: [slug, idempotencyKey],
          requestBody: body(InviteInput),
          responses: {
            200: ok(
              'One result per invitee: invited, reinvited, already_invited (pending: no mail unless reinvite), already_member or invalid',
            ),
            409: errors,
            422: errors,
            ...std,
          },
        },
        get: {
          summary: 'List invitations with status, warning colour and resend availability',
          parameters: [slug, ...query],
          responses: { 200: ok('{items, nextCursor}'), ...std },
        },
      },
      '/tenants/{slug}/invitations/{id}': {
        get: {
          summary: 'One invitation',
          parameters: [slug, id],
          responses: { 200: ok('The invitation'), ...std },
        },
        delete: {
          summary: 'Revoke',
          parameters: [slug, id],
          responses: { 200: ok('The revoked invitation'), 409: errors, ...std },
        },
      },
      '/tenants/{slug}/invitations/{id}/resend': {
        post: {
          summary: 'Send the current link again (cooldown: 429 with resendAvailableAt)',
          parameters: [slug, id],
          responses: { 200: ok('The invitation'), 409: errors, 429: errors, ...std },
        },
      },
      '/tenants/{slug}/invitations/{id}/reinvite': {
        post: {
          summary: 'New link and expiry; earlier links stop working',
          parameters: [slug, id],
          responses: { 200: ok('The invitation'), 409: errors, ...std },
        },
      },
      '/tenants/{slug}/terms': {
        put: {
          summary: 'Publish a new Terms of Service version',
          parameters: [slug],
          requestBody: body(PublishTermsInput),
          responses: { 201: ok('The version'), ...std },
        },
        get: {
          summary: 'The current version',
          parameters: [slug],
          responses: { 200: ok('The version or null'), ...std },
        },
      },
      '/tenants/{slug}/email-templates/{name}/{locale}': {
        get: {
          summary: 'The template in use',
          parameters: template,
          responses: { 200: ok('{subject, text, html}'), ...std },
        },
        put: {
          summary: 'Customise a template ({{placeholders}} are checked)',
          parameters: template,
          requestBody: body(TemplateBody),
          responses: { 200: ok('The saved template'), ...std },
        },
        delete: {
          summary: 'Back to the default',
          parameters: template,
          responses: { 200: ok('The default template'), ...std },
        },
      },
      '/tenants/{slug}/apps': {
        post: {
          summary:
            'Register an app (OIDC client). Confidential apps (web, machine) get a secret, shown once',
          parameters: [slug],
          requestBody: body(CreateAppInput),
          responses: {
            201: ok(
              'The app ({clientId, name, type, redirectUris, …}), with clientSecret for a confidential app',
            ),
            ...std,
          },
        },
        get: {
          summary: "The tenant's apps",
          parameters: [slug],
          responses: { 200: ok('{apps}'), ...std },
        },
      },
      '/tenants/{slug}/apps/{clientId}': {
        get: {
          summary: 'One app',
          parameters: [slug, clientId],
          responses: { 200: ok('The app'), ...std },
        },
        patch: {
          summary: 'Change the name, redirect URIs, post-logout redirect URIs or product',
          parameters: [slug, clientId],
          requestBody: body(UpdateAppInput),
          responses: { 200: ok('The app'), ...std },
        },
        delete: {
          summary: 'Delete the app; its tokens stop being accepted',
          parameters: [slug, clientId],
          responses: { 204: { description: 'Deleted' }, ...std },
        },
      },
      '/tenants/{slug}/apps/{clientId}/secret': {
        post: {
          summary: 'New client secret, shown once; the old one stops working',
          parameters: [slug, clientId],
          responses: {
            200: ok('The app with its new clientSecret (400 for a public app)'),
            ...std,
          },
        },
      },
      '/tenants/{slug}/keys/rotate': {
        post: {
          summary:
            'Rotate signing keys: next becomes active, active is retired and stays in JWKS until its tokens expire',
          parameters: [slug],
          responses: { 200: ok('{activeKid, nextKid}'), ...std },
        },
      },
      '/tenants/{slug}/email-templates/{name}/{locale}/preview': {
        post: {
          summary: 'Render with sample data (optionally a draft)',
          parameters: template,
          responses: { 200: ok('{subject, text, html}'), ...std },
        },
      },
      ...directoryPaths,
      ...auditPaths,
      ...memberPaths(),
      ...pagesPaths,
      ...exportPaths,
      ...accessRequestPaths,
      ...importPaths(),
      ...outboxPaths,
    },
  }
}
