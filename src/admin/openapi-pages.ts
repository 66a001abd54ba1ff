// The admin API the console's pages added (issue 11): the Terms versions with their acceptances.

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
}
