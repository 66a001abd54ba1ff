import * as z from 'zod'
import { EXPORT_COLUMNS } from '../exports/columns.js'
import { InvitationExportQuery, MemberExportQuery } from '../exports/exports.js'

// The CSV exports of members and invitations (issue 12). Query parameters come from the zod
// schemas the routes parse; the answer is a text/csv stream (README: "CSV export").

const schema = (s: z.ZodType) => z.toJSONSchema(s, { io: 'input', unrepresentable: 'any' })
const errors = { $ref: '#/components/responses/Error' }
const std = { 400: errors, 401: errors, 404: errors }
const slug = { name: 'slug', in: 'path', required: true, schema: { type: 'string' } }
const queryOf = (s: z.ZodObject) =>
  Object.entries(schema(s).properties ?? {}).map(([name, p]) => ({ name, in: 'query', schema: p }))

const columns = [
  ...EXPORT_COLUMNS.person,
  `${EXPORT_COLUMNS.group(1)} .. ${EXPORT_COLUMNS.group(EXPORT_COLUMNS.minGroups)} (more when someone has more groups)`,
  "one column per app of the tenant, headed by the app's name: true when the app is granted",
].join(', ')

const csv = (description: string) => ({
  description,
  headers: {
    'Content-Disposition': {
      description: 'attachment; filename="<members|invitations>-<slug>-<YYYY-MM-DD>.csv"',
      schema: { type: 'string' },
    },
  },
  content: { 'text/csv': { schema: { type: 'string' } } },
})

const NEUTRALISED =
  "RFC 4180 quoting, CRLF line ends; a cell starting with =, +, -, @, tab or carriage return gets a leading ' (OWASP CSV injection)."

export const exportPaths = {
  '/tenants/{slug}/members/export': {
    get: {
      operationId: 'exportMembers',
      tags: ['members', 'exports'],
      summary: "The tenant's members and guests as CSV, streamed, oldest first",
      description: `Columns: ${columns}. ${NEUTRALISED}`,
      parameters: [slug, ...queryOf(MemberExportQuery)],
      responses: { 200: csv('The CSV file'), ...std },
    },
  },
  '/tenants/{slug}/invitations/export': {
    get: {
      operationId: 'exportInvitations',
      tags: ['invitations', 'exports'],
      summary: "The tenant's invitations as CSV, streamed, oldest first",
      description: `Columns: ${columns}, ${EXPORT_COLUMNS.invitation.join(', ')} (pending, expired, accepted, revoked; ISO 8601 times). ${NEUTRALISED}`,
      parameters: [slug, ...queryOf(InvitationExportQuery)],
      responses: { 200: csv('The CSV file'), ...std },
    },
  },
}
