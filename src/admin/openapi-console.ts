// The console's part of the admin API document (issue 11): the console's session as a second
// way in, and the tenant list a platform admin's console shows.

export const consoleSecurityScheme = {
  type: 'apiKey',
  in: 'cookie',
  name: 'gw_session',
  description:
    "An admin's console session on the tenant's own host (__Host-gw_session over HTTPS). Every request also sends the page's CSRF token in X-CSRF-Token, and a foreign Origin or a Sec-Fetch-Site other than same-origin is refused. A platform tenant's admin acts on every tenant.",
}

const str = { type: 'string' }
const tenantSummary = {
  type: 'object',
  required: ['id', 'slug', 'name', 'hosts', 'primaryHost', 'publicUrl', 'createdAt', 'platform'],
  properties: {
    id: { ...str, format: 'uuid' },
    slug: str,
    name: str,
    hosts: { type: 'array', items: str },
    primaryHost: str,
    publicUrl: str,
    createdAt: { ...str, format: 'date-time' },
    platform: {
      type: 'boolean',
      description: 'The platform tenant: its admins administer every tenant',
    },
    settingsProblem: { ...str, description: 'Set when the stored settings are invalid' },
  },
}

export const listTenantsOperation = {
  summary: 'List every tenant (platform key or platform admin)',
  operationId: 'listTenants',
  tags: ['tenants'],
  responses: {
    200: {
      description: 'Every tenant, the platform tenant included',
      content: {
        'application/json': {
          schema: {
            type: 'object',
            required: ['items'],
            properties: { items: { type: 'array', items: tenantSummary } },
          },
        },
      },
    },
    401: { $ref: '#/components/responses/Error' },
    403: { $ref: '#/components/responses/Error' },
  },
}
