import * as z from 'zod'
import { AuditQuery } from '../audit/audit-log.js'
import { AUDIT_ACTOR_KINDS } from '../db/schema.js'

// The admin API's audit log (issue 11). The query parameters come from the zod schema the route
// parses; the answer is written out, since auditEventView builds it by hand (an allowlist).

const schema = (s: z.ZodType) => z.toJSONSchema(s, { io: 'input', unrepresentable: 'any' })
const json = (s: object) => ({ content: { 'application/json': { schema: s } } })
const errors = { $ref: '#/components/responses/Error' }
const std = { 400: errors, 401: errors, 404: errors }
const slug = { name: 'slug', in: 'path', required: true, schema: { type: 'string' } }

const str = { type: 'string' }
const nullableStr = { type: ['string', 'null'] }
const auditEvent = {
  type: 'object',
  required: ['id', 'tenantId', 'at', 'actor', 'action', 'subject', 'ip', 'details'],
  properties: {
    id: { ...str, description: 'Increasing; opaque' },
    tenantId: { ...nullableStr, format: 'uuid', description: 'Null for a platform event' },
    at: { ...str, format: 'date-time' },
    actor: {
      type: 'object',
      required: ['kind', 'id', 'name'],
      properties: {
        kind: { enum: [...AUDIT_ACTOR_KINDS] },
        id: { ...nullableStr, description: 'API key id, admin membership id, person id' },
        name: nullableStr,
      },
    },
    action: { ...str, examples: ['invitation.resent', 'settings.updated', 'sign_in.failed'] },
    subject: {
      type: ['object', 'null'],
      required: ['kind', 'id', 'label'],
      properties: { kind: str, id: nullableStr, label: nullableStr },
    },
    ip: { ...nullableStr, description: 'Where the request came from' },
    details: { type: 'object', description: 'What changed; never a secret' },
  },
}
const page = {
  type: 'object',
  required: ['events', 'nextCursor'],
  properties: {
    events: { type: 'array', items: auditEvent },
    nextCursor: { ...nullableStr, description: 'Pass as cursor for the next (older) page' },
  },
}
const queryOf = (extra: Record<string, object> = {}) =>
  Object.entries({ ...(schema(AuditQuery).properties ?? {}), ...extra }).map(([name, s]) => ({
    name,
    in: 'query',
    schema: s,
  }))

export const auditPaths = {
  '/tenants/{slug}/audit': {
    get: {
      operationId: 'listAuditEvents',
      tags: ['audit'],
      summary: "The tenant's audit log, newest first: who did what, to what, when, from where",
      parameters: [slug, ...queryOf()],
      responses: { 200: { description: 'A page of events', ...json(page) }, ...std },
    },
  },
  '/audit': {
    get: {
      operationId: 'listPlatformAuditEvents',
      tags: ['audit'],
      summary: 'Every audit event, or only platform ones (platform key)',
      parameters: queryOf({ scope: { enum: ['all', 'platform'], default: 'all' } }),
      responses: { 200: { description: 'A page of events', ...json(page) }, 403: errors, ...std },
    },
  },
}
