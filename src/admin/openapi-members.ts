import * as z from 'zod'
import {
  GroupInput,
  GroupPatch,
  OrganizationInput,
  OrganizationPatch,
  RoleInput,
  RolePatch,
} from '../members/catalogues.js'
import { MemberPatch } from '../members/members.js'
import { MemberListQuery } from '../members/search.js'

// The admin API's members, guests and catalogues (issue 11). Bodies and query parameters come
// from the zod schemas the routes parse; answers are written out, since they are built by hand.

const schema = (s: z.ZodType) => z.toJSONSchema(s, { io: 'input', unrepresentable: 'any' })
const json = (s: object) => ({ content: { 'application/json': { schema: s } } })
const body = (s: z.ZodType) => ({ required: true, ...json(schema(s)) })
const ok = (description: string, s: object) => ({ description, ...json(s) })
const errors = { $ref: '#/components/responses/Error' }
const std = { 400: errors, 401: errors, 404: errors }
const path = (name: string, format?: string) => ({
  name,
  in: 'path',
  required: true,
  schema: { type: 'string', ...(format && { format }) },
})
const slug = path('slug')
const id = path('id', 'uuid')
const clientId = path('clientId')

const str = { type: 'string' }
const nullable = { type: ['string', 'null'] }
const date = { type: 'string', format: 'date-time' }
const strings = { type: 'array', items: str }
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` })

export const memberSchemas = {
  Member: {
    type: 'object',
    required: ['id', 'userId', 'email', 'name', 'kind', 'role', 'groups', 'products', 'status'],
    properties: {
      id: { ...str, format: 'uuid', description: 'The membership id' },
      userId: { ...str, format: 'uuid', description: 'The identity in its directory (sub)' },
      email: str,
      firstName: nullable,
      lastName: nullable,
      name: str,
      phone: nullable,
      jobTitle: nullable,
      externalId: { ...nullable, description: 'User / company id' },
      locale: nullable,
      kind: { enum: ['member', 'guest'] },
      role: str,
      groups: { ...strings, description: 'Always includes Everybody' },
      products: strings,
      organization: nullable,
      directory: {
        type: 'object',
        properties: { id: str, kind: { enum: ['database', 'saml', 'oidc', null] }, name: nullable },
      },
      status: { enum: ['invited', 'active', 'disabled'] },
      createdAt: date,
      activatedAt: { type: ['string', 'null'], format: 'date-time' },
      updatedAt: date,
      lastSignInAt: {
        type: ['string', 'null'],
        format: 'date-time',
        description: 'Only in GET …/members/{id}: the newest session still kept',
      },
    },
  },
  MemberPage: {
    type: 'object',
    required: ['items', 'nextCursor', 'total', 'totalIsEstimate'],
    properties: {
      items: { type: 'array', items: ref('Member') },
      nextCursor: nullable,
      total: { type: 'integer' },
      totalIsEstimate: {
        type: 'boolean',
        description: 'Above 10,000 matches the total is the planner’s estimate',
      },
    },
  },
  Group: {
    type: 'object',
    required: ['id', 'name', 'builtin', 'memberCount'],
    properties: {
      id: str,
      name: str,
      description: nullable,
      builtin: { type: 'boolean', description: 'Everybody: neither renamed nor deleted' },
      memberCount: { type: 'integer' },
      createdAt: date,
      updatedAt: date,
    },
  },
  Role: {
    type: 'object',
    required: ['id', 'name', 'builtin'],
    properties: {
      id: str,
      name: str,
      description: nullable,
      builtin: { type: 'boolean', description: 'admin and user' },
      memberCount: { type: 'integer' },
      createdAt: date,
    },
  },
  Organization: {
    type: 'object',
    required: ['id', 'name', 'kind'],
    properties: {
      id: str,
      name: str,
      kind: { enum: ['seller', 'customer'] },
      externalId: nullable,
      createdAt: date,
      updatedAt: date,
    },
  },
  GuestGrid: {
    type: 'object',
    required: ['apps', 'guests', 'total', 'totalIsEstimate', 'nextCursor'],
    properties: {
      apps: {
        type: 'array',
        items: {
          type: 'object',
          properties: { clientId: str, name: str, product: str },
        },
      },
      guests: {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            id: str,
            email: str,
            name: str,
            status: str,
            groups: strings,
            createdAt: date,
            apps: { ...strings, description: 'Client ids of the apps granted' },
          },
        },
      },
      total: { type: 'integer' },
      totalIsEstimate: { type: 'boolean' },
      nextCursor: nullable,
    },
  },
  AppGrant: {
    type: 'object',
    properties: {
      id: str,
      clientId: str,
      product: str,
      granted: { type: 'boolean' },
      products: strings,
    },
  },
}

const listParameters = () =>
  Object.entries(schema(MemberListQuery).properties ?? {}).map(([name, s]) => ({
    name,
    in: 'query',
    schema: s,
  }))
const guestParameters = () => listParameters().filter((p) => p.name !== 'kind')

const member = (description: string) => ok(description, ref('Member'))
const action = (operationId: string, summary: string, extra: object = {}) => ({
  post: {
    operationId,
    tags: ['members'],
    summary,
    parameters: [slug, id],
    responses: { 200: member('The member'), 409: errors, ...std, ...extra },
  },
})

function catalogue(
  plural: string,
  singular: string,
  tag: string,
  s: { input: z.ZodType; patch: z.ZodType; name: string },
  listExtra: object[] = [],
) {
  const cap = singular[0]!.toUpperCase() + singular.slice(1)
  return {
    [`/tenants/{slug}/${plural}`]: {
      get: {
        operationId: `list${cap}s`,
        tags: [tag],
        summary: `The tenant's ${plural}`,
        parameters: [slug, ...listExtra],
        responses: {
          200: ok(`{${plural}}`, {
            type: 'object',
            properties: { [plural]: { type: 'array', items: ref(s.name) } },
          }),
          ...std,
        },
      },
      post: {
        operationId: `create${cap}`,
        tags: [tag],
        summary: `Add a ${singular}`,
        parameters: [slug],
        requestBody: body(s.input),
        responses: { 201: ok(`The ${singular}`, ref(s.name)), 409: errors, ...std },
      },
    },
    [`/tenants/{slug}/${plural}/{id}`]: {
      patch: {
        operationId: `update${cap}`,
        tags: [tag],
        summary: `Rename or change a ${singular}; members naming it follow a rename`,
        parameters: [slug, id],
        requestBody: body(s.patch),
        responses: { 200: ok(`The ${singular}`, ref(s.name)), 409: errors, ...std },
      },
      delete: {
        operationId: `delete${cap}`,
        tags: [tag],
        summary: `Delete a ${singular} (built-ins, and roles or organizations in use: 409)`,
        parameters: [slug, id],
        responses: { 204: { description: 'Deleted' }, 409: errors, ...std },
      },
    },
  }
}

export function memberPaths() {
  const groups = catalogue('groups', 'group', 'groups', {
    input: GroupInput,
    patch: GroupPatch,
    name: 'Group',
  })
  return {
    '/tenants/{slug}/members': {
      get: {
        operationId: 'listMembers',
        tags: ['members'],
        summary: 'Search and filter members and guests, sorted, with a keyset cursor',
        parameters: [slug, ...listParameters()],
        responses: { 200: ok('A page of members', ref('MemberPage')), ...std },
      },
    },
    '/tenants/{slug}/members/{id}': {
      get: {
        operationId: 'getMember',
        tags: ['members'],
        summary: 'One member, every field',
        parameters: [slug, id],
        responses: { 200: member('The member'), ...std },
      },
      patch: {
        operationId: 'updateMember',
        tags: ['members'],
        summary:
          'Change names, phone, job title, locale, role, groups, products or organization (from the catalogues)',
        parameters: [slug, id],
        requestBody: body(MemberPatch),
        responses: { 200: member('The member'), 403: errors, 409: errors, ...std },
      },
      delete: {
        operationId: 'removeMember',
        tags: ['members'],
        summary:
          'Remove from the tenant: membership, sessions, grants; the identity once it has no membership left',
        parameters: [slug, id],
        responses: { 204: { description: 'Removed' }, 409: errors, ...std },
      },
    },
    '/tenants/{slug}/members/{id}/disable': action(
      'disableMember',
      'Disable: sessions, grants and refresh tokens end at once (the last admin: 409)',
    ),
    '/tenants/{slug}/members/{id}/enable': action('enableMember', 'Enable a disabled member'),
    '/tenants/{slug}/members/{id}/convert': action('convertGuest', 'Turn a guest into a member'),
    '/tenants/{slug}/members/{id}/apps/{clientId}': {
      put: {
        operationId: 'grantApp',
        tags: ['guests'],
        summary: "Grant the app (its product) to the person: the guest's next token carries it",
        parameters: [slug, id, clientId],
        responses: { 200: ok('The grant', ref('AppGrant')), ...std },
      },
      delete: {
        operationId: 'revokeApp',
        tags: ['guests'],
        summary: "Revoke the app; the guest's grants and tokens of it end",
        parameters: [slug, id, clientId],
        responses: { 200: ok('The grant', ref('AppGrant')), ...std },
      },
    },
    '/tenants/{slug}/guests': {
      get: {
        operationId: 'guestGrid',
        tags: ['guests'],
        summary: 'Guests in rows, apps in columns, the apps granted to each (sorted by email)',
        parameters: [slug, ...guestParameters()],
        responses: { 200: ok('The grid', ref('GuestGrid')), ...std },
      },
    },
    ...groups,
    '/tenants/{slug}/groups/{id}': {
      ...groups['/tenants/{slug}/groups/{id}'],
      get: {
        operationId: 'getGroup',
        tags: ['groups'],
        summary: 'One group',
        parameters: [slug, id],
        responses: { 200: ok('The group', ref('Group')), ...std },
      },
    },
    ...catalogue('roles', 'role', 'roles', { input: RoleInput, patch: RolePatch, name: 'Role' }),
    ...catalogue(
      'organizations',
      'organization',
      'organizations',
      { input: OrganizationInput, patch: OrganizationPatch, name: 'Organization' },
      [{ name: 'kind', in: 'query', schema: { enum: ['seller', 'customer'] } }],
    ),
    '/tenants/{slug}/products': {
      get: {
        operationId: 'listProducts',
        tags: ['roles'],
        summary: "The products the tenant's apps declare (an app without one: its client id)",
        parameters: [slug],
        responses: {
          200: ok('{products}', { type: 'object', properties: { products: strings } }),
          ...std,
        },
      },
    },
  }
}
