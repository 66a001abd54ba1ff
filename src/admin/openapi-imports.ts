import { OUTCOMES } from '../imports/apply.js'
import { IMPORT_STATES } from '../db/schema.js'

// The admin API's CSV import (issue 12): the upload, the job's progress, its report, the template.

const errors = { $ref: '#/components/responses/Error' }
const std = { 400: errors, 401: errors, 404: errors }
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` })
const json = (s: object) => ({ content: { 'application/json': { schema: s } } })
const csv = { content: { 'text/csv': { schema: { type: 'string' } } } }
const str = { type: 'string' }
const slug = { name: 'slug', in: 'path', required: true, schema: str }
const id = { name: 'id', in: 'path', required: true, schema: { ...str, format: 'uuid' } }
const links = {
  type: 'object',
  required: ['self', 'report'],
  properties: { self: str, report: str },
}
const strings = { type: 'array', items: str }

export const importSchemas = {
  ImportAccepted: {
    type: 'object',
    required: ['id', 'rows', 'warnings', 'unknownColumns', 'links'],
    properties: {
      id: { ...str, format: 'uuid' },
      rows: { type: 'integer', description: 'Records read after the header' },
      warnings: {
        ...strings,
        description: 'Unknown columns (ignored), lines that could not be read',
      },
      unknownColumns: {
        ...strings,
        description: 'Header cells that name no column: their cells are ignored',
      },
      links,
    },
  },
  Import: {
    type: 'object',
    required: [
      'id',
      'state',
      'fileName',
      'rows',
      'warnings',
      'error',
      'createdAt',
      'finishedAt',
      'links',
    ],
    properties: {
      id: { ...str, format: 'uuid' },
      state: { enum: [...IMPORT_STATES] },
      fileName: { type: ['string', 'null'] },
      rows: {
        type: 'object',
        required: ['total', 'done'],
        properties: { total: { type: 'integer' }, done: { type: 'integer' } },
      },
      counts: {
        type: 'object',
        description: 'Only in GET …/imports/{id}: rows done, by outcome',
        propertyNames: { enum: [...OUTCOMES] },
        additionalProperties: { type: 'integer' },
      },
      warnings: strings,
      error: { type: ['string', 'null'] },
      createdAt: { ...str, format: 'date-time' },
      finishedAt: { type: ['string', 'null'], format: 'date-time' },
      links,
    },
  },
  ImportList: {
    type: 'object',
    required: ['items'],
    properties: { items: { type: 'array', items: ref('Import') } },
  },
}

const COLUMNS =
  'Columns (case-insensitive): email (required), firstName, lastName, phone, jobTitle, externalId, locale, role, organization, kind (member/guest), user-group 1 … user-group N, one column per app of the tenant (its name; true/yes/1/x grants, false/no/0/empty does not), passwordHash (argon2id/argon2i/bcrypt: the person is active at once), delete (true removes the person). "," or ";" separated (from the header line), UTF-8 with or without BOM, at most 50 MB.'

export const importPaths = () => ({
  '/tenants/{slug}/imports': {
    post: {
      operationId: 'createImport',
      tags: ['imports'],
      summary: 'Import people from a CSV file (streamed; applied by a job)',
      description: `${COLUMNS} New addresses are invited (one mail each), members are updated without a mail, pending invitations are left alone: importing the same file twice changes nothing the second time.`,
      parameters: [
        slug,
        {
          name: 'X-File-Name',
          in: 'header',
          required: false,
          schema: str,
          description: 'The file name, for text/csv bodies',
        },
      ],
      requestBody: {
        required: true,
        content: {
          'text/csv': { schema: { type: 'string' } },
          'multipart/form-data': {
            schema: {
              type: 'object',
              required: ['file'],
              properties: { file: { type: 'string', format: 'binary' } },
            },
          },
        },
      },
      responses: {
        202: {
          description: 'Staged and queued; Location names the import',
          headers: { Location: { schema: str } },
          ...json(ref('ImportAccepted')),
        },
        413: errors,
        ...std,
      },
    },
    get: {
      operationId: 'listImports',
      tags: ['imports'],
      summary: 'The tenant’s latest imports, newest first (50)',
      parameters: [slug],
      responses: { 200: { description: 'Imports', ...json(ref('ImportList')) }, ...std },
    },
  },
  '/tenants/{slug}/imports/template': {
    get: {
      operationId: 'getImportTemplate',
      tags: ['imports'],
      summary: 'A CSV header for this tenant: its app columns and three group columns',
      parameters: [slug],
      responses: { 200: { description: 'The header line', ...csv }, ...std },
    },
  },
  '/tenants/{slug}/imports/{id}': {
    get: {
      operationId: 'getImport',
      tags: ['imports'],
      summary: 'Progress (rows done / total), state and counts by outcome',
      parameters: [slug, id],
      responses: { 200: { description: 'The import', ...json(ref('Import')) }, ...std },
    },
  },
  '/tenants/{slug}/imports/{id}/report': {
    get: {
      operationId: 'getImportReport',
      tags: ['imports'],
      summary: `Per-row report as CSV: line, email, outcome (${OUTCOMES.join(', ')}), reason`,
      parameters: [slug, id],
      responses: { 200: { description: 'The report', ...csv }, ...std },
    },
  },
})
