// The admin API the console's pages added (issue 11): the Terms versions with their acceptances,
// and who accepted each.

const errors = { $ref: '#/components/responses/Error' }
const std = { 400: errors, 401: errors, 404: errors }
const slug = { name: 'slug', in: 'path', required: true, schema: { type: 'string' } }
const str = { type: 'string' }

const termsVersion = {
  type: 'object',
  required: ['version', 'title', 'documentUrl', 'publishedAt', 'acceptances'],
  properties: {
    version: { type: 'integer', minimum: 1 },
    title: str,
    documentUrl: { type: ['string', 'null'], format: 'uri' },
    publishedAt: { ...str, format: 'date-time' },
    acceptances: { type: 'integer', minimum: 0, description: 'Members who accepted this version' },
  },
}

const acceptance = {
  type: 'object',
  required: ['memberId', 'email', 'name', 'acceptedAt'],
  properties: {
    memberId: { ...str, format: 'uuid', description: "The membership's id (members API)" },
    email: { ...str, format: 'email' },
    name: { type: ['string', 'null'], description: 'First and last name, when known' },
    acceptedAt: { ...str, format: 'date-time' },
  },
}

export const pagesPaths = {
  '/tenants/{slug}/terms/versions': {
    get: {
      operationId: 'listTermsVersions',
      tags: ['terms'],
      summary: 'Every published Terms version, newest first, with how many members accepted it',
      parameters: [slug],
      responses: {
        200: {
          description: 'The versions',
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['versions'],
                properties: { versions: { type: 'array', items: termsVersion } },
              },
            },
          },
        },
        ...std,
      },
    },
  },
  '/tenants/{slug}/terms/versions/{version}/acceptances': {
    get: {
      operationId: 'listTermsAcceptances',
      tags: ['terms'],
      summary: 'Who accepted a Terms version, newest acceptance first (keyset paging)',
      parameters: [
        slug,
        { name: 'version', in: 'path', required: true, schema: { type: 'integer', minimum: 1 } },
        {
          name: 'limit',
          in: 'query',
          schema: { type: 'integer', minimum: 1, maximum: 200, default: 50 },
        },
        {
          name: 'cursor',
          in: 'query',
          schema: str,
          description: 'The `nextCursor` of the previous page',
        },
      ],
      responses: {
        200: {
          description: 'The acceptances; a version the tenant never published: 404',
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['items', 'nextCursor'],
                properties: {
                  items: { type: 'array', items: acceptance },
                  nextCursor: { type: ['string', 'null'], description: 'null on the last page' },
                },
              },
            },
          },
        },
        ...std,
      },
    },
  },
}
