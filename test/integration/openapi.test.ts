import supertest from 'supertest'
import { describe, expect, it } from 'vitest'
import { adminApi } from '../../src/routes.js'
import { memoryLog, useGateway } from '../support/harness.js'

type Layer = {
  route?: { path: string; methods: Record<string, boolean> }
  handle?: { stack?: Layer[] }
}

/** Every METHOD /path the admin router answers, in OpenAPI's `{param}` spelling. */
function routesOf(stack: Layer[]): string[] {
  return stack.flatMap((layer) => {
    if (layer.route) {
      const path = layer.route.path.replace(/:(\w+)/g, '{$1}')
      return Object.keys(layer.route.methods).map((m) => `${m} ${path}`)
    }
    return layer.handle?.stack ? routesOf(layer.handle.stack) : []
  })
}

describe('the admin API document', () => {
  const gw = useGateway()

  it('documents every route the admin API answers, and nothing it does not', async () => {
    const doc = (await supertest(gw.app).get('/admin/api/v1/openapi.json')).body
    expect(doc.openapi).toBe('3.1.0')
    const documented = Object.entries(doc.paths as Record<string, object>).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m} ${path}`),
    )
    const served = routesOf(
      (adminApi({ ...gw, log: memoryLog().log }) as unknown as { stack: Layer[] }).stack,
    ).filter((r) => r !== 'get /openapi.json')
    expect(served).toContain('post /tenants/{slug}/apps')
    expect(documented.sort()).toEqual([...new Set(served)].sort())
  })

  it('describes request bodies with the schemas the routes parse', async () => {
    const doc = (await supertest(gw.app).get('/admin/api/v1/openapi.json')).body
    const app = doc.paths['/tenants/{slug}/apps'].post.requestBody.content['application/json']
    expect(app.schema.properties.type.enum).toEqual(['web', 'native', 'spa', 'machine'])
    expect(app.schema.required).toEqual(expect.arrayContaining(['name', 'type']))
  })
})
