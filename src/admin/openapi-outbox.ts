import * as z from 'zod'
import { OutboxQuery, OUTBOX_STATUSES } from '../mail/outbox-list.js'

// The admin API's outbox (issue 13): failed mail is visible, with the SMTP server's reply.
// The query comes from the zod schema the route parses; the answer is written out, since
// outboxView builds it by hand (an allowlist).

const schema = (s: z.ZodType) => z.toJSONSchema(s, { io: 'input', unrepresentable: 'any' })
const json = (s: object) => ({ content: { 'application/json': { schema: s } } })
const errors = { $ref: '#/components/responses/Error' }
const slug = { name: 'slug', in: 'path', required: true, schema: { type: 'string' } }
const str = { type: 'string' }
const nullableStr = { type: ['string', 'null'] }
const at = { type: ['string', 'null'], format: 'date-time' }

const mail = {
  type: 'object',
  required: [
    'id',
    'template',
    'locale',
    'to',
    'status',
    'attempts',
    'lastError',
    'createdAt',
    'lastAttemptAt',
    'nextAttemptAt',
    'sentAt',
  ],
  properties: {
    id: { ...str, format: 'uuid', description: "Also the left part of the mail's Message-ID" },
    template: { ...str, examples: ['invitation', 'reminder', 'password-reset'] },
    locale: str,
    to: {
      type: 'object',
      required: ['address', 'name'],
      properties: { address: str, name: nullableStr },
    },
    status: {
      enum: [...OUTBOX_STATUSES],
      description:
        'failed: refused for good by the SMTP server (a 5xx reply to the recipient or the message), an address that cannot receive mail, or 20 tries without success',
    },
    attempts: { type: 'integer', minimum: 0 },
    lastError: {
      ...nullableStr,
      description:
        "The last try's error: the SMTP reply code and text, such as 550: mailbox unavailable",
      examples: ['550: No such user here'],
    },
    createdAt: { ...str, format: 'date-time' },
    lastAttemptAt: at,
    nextAttemptAt: { ...at, description: 'When a pending mail is tried next' },
    sentAt: at,
  },
}

export const outboxPaths = {
  '/tenants/{slug}/outbox': {
    get: {
      operationId: 'listOutbox',
      tags: ['mail'],
      summary: "The tenant's mail, newest first; ?status=failed lists the mail that never went",
      parameters: [
        slug,
        ...Object.entries(schema(OutboxQuery).properties ?? {}).map(([name, s]) => ({
          name,
          in: 'query',
          schema: s,
        })),
      ],
      responses: {
        200: {
          description: 'A page of mail',
          ...json({
            type: 'object',
            required: ['items', 'nextCursor'],
            properties: {
              items: { type: 'array', items: mail },
              nextCursor: {
                ...nullableStr,
                description: 'Pass as cursor for the next (older) page',
              },
            },
          }),
        },
        400: errors,
        401: errors,
        404: errors,
      },
    },
  },
}
