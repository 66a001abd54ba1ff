import * as z from 'zod'
import { AccessRequestQuery, SubscriptionInput } from '../access-requests/access-requests.js'
import { ACCESS_REQUEST_STATUSES } from '../db/schema.js'
import { InviteInput } from '../invitations/invitations.js'

// Issue 12: access requests from the login page. Query and bodies come from the zod schemas the
// routes parse (the approval's grant is the invitation's own fields, InviteInput); answers are
// written out, since accessRequestView builds them by hand (an allowlist).

const schema = (s: z.ZodType) => z.toJSONSchema(s, { io: 'input', unrepresentable: 'any' })
const json = (s: object) => ({ content: { 'application/json': { schema: s } } })
const errors = { $ref: '#/components/responses/Error' }
const std = { 400: errors, 401: errors, 404: errors }
const slug = { name: 'slug', in: 'path', required: true, schema: { type: 'string' } }
const id = { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } }
const tags = ['access-requests']
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` })

const str = { type: 'string' }
const nullable = (format?: string) => ({ type: ['string', 'null'], ...(format && { format }) })
const grant = (() => {
  const s = schema(InviteInput) as { properties?: Record<string, object> }
  const keep = ['role', 'groups', 'products', 'organization', 'kind', 'locale', 'reinvite']
  return {
    type: 'object',
    additionalProperties: false,
    description:
      'The invitation the requester gets, with the fields of POST /tenants/{slug}/invitations. reinvite defaults to true here: someone already invited gets a fresh link.',
    properties: Object.fromEntries(keep.map((k) => [k, s.properties?.[k] ?? {}])),
  }
})()

export const accessRequestSchemas = {
  AccessRequest: {
    type: 'object',
    required: [
      'id',
      'email',
      'name',
      'message',
      'locale',
      'status',
      'createdAt',
      'updatedAt',
      'decidedAt',
      'decidedBy',
      'invitationId',
    ],
    properties: {
      id: { ...str, format: 'uuid' },
      email: { ...str, format: 'email' },
      name: str,
      message: str,
      locale: str,
      status: { enum: [...ACCESS_REQUEST_STATUSES] },
      createdAt: { ...str, format: 'date-time' },
      updatedAt: {
        ...str,
        format: 'date-time',
        description: 'The last repeat of a pending request',
      },
      decidedAt: nullable('date-time'),
      decidedBy: { ...nullable(), description: "The admin's email, or the API key's name" },
      invitationId: { ...nullable('uuid'), description: 'The invitation an approval sent' },
    },
  },
}

export const accessRequestPaths = {
  '/tenants/{slug}/access-requests': {
    get: {
      operationId: 'listAccessRequests',
      tags,
      summary: 'Access requests from the login page, newest first',
      parameters: [
        slug,
        ...Object.entries(schema(AccessRequestQuery).properties ?? {}).map(([name, s]) => ({
          name,
          in: 'query',
          schema: s,
        })),
      ],
      responses: {
        200: {
          description: 'A page of requests',
          ...json({
            type: 'object',
            required: ['items', 'nextCursor'],
            properties: {
              items: { type: 'array', items: ref('AccessRequest') },
              nextCursor: { ...nullable(), description: 'Pass as cursor for the next page' },
            },
          }),
        },
        ...std,
      },
    },
  },
  '/tenants/{slug}/access-requests/{id}/approve': {
    post: {
      operationId: 'approveAccessRequest',
      tags,
      summary: 'Approve a pending request: the requester is invited (mail queued) with this grant',
      parameters: [slug, id],
      requestBody: { required: false, ...json(grant) },
      responses: {
        200: {
          description: 'The request, approved, and the invitation result',
          ...json({
            type: 'object',
            required: ['request', 'invitation'],
            properties: { request: ref('AccessRequest'), invitation: { type: 'object' } },
          }),
        },
        409: errors,
        ...std,
      },
    },
  },
  '/tenants/{slug}/access-requests/{id}/deny': {
    post: {
      operationId: 'denyAccessRequest',
      tags,
      summary: 'Deny a pending request: the requester is told politely by mail, once',
      parameters: [slug, id],
      responses: {
        200: { description: 'The request, denied', ...json(ref('AccessRequest')) },
        409: errors,
        ...std,
      },
    },
  },
  '/tenants/{slug}/access-requests/subscription': {
    get: {
      operationId: 'getAccessRequestSubscription',
      tags,
      summary: 'Whether the signed-in admin (console session) gets access-request mail',
      parameters: [slug],
      responses: {
        200: { description: 'The subscription', ...json(schema(SubscriptionInput)) },
        403: errors,
        ...std,
      },
    },
    put: {
      operationId: 'setAccessRequestSubscription',
      tags,
      summary:
        'Subscribe or unsubscribe the signed-in admin (console session) from access-request mail',
      parameters: [slug],
      requestBody: { required: true, ...json(schema(SubscriptionInput)) },
      responses: {
        200: { description: 'The subscription', ...json(schema(SubscriptionInput)) },
        403: errors,
        ...std,
      },
    },
  },
}
