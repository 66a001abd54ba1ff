import type { Router } from 'express'
import { describe, expect, it } from 'vitest'
import { useGateway } from '../support/harness.js'

type Layer = {
  route?: { path: string | string[]; stack: { handle: unknown }[] }
  name?: string
}
const pathsOf = (route: NonNullable<Layer['route']>) => [route.path].flat()
const isRouter = (handle: unknown): handle is Router & { stack: Layer[] } =>
  typeof handle === 'function' && Array.isArray((handle as { stack?: unknown }).stack)

// src/routes.ts mounts feature routers on the paths it names (app.all(paths, router)): a route a
// router adds without a line in the table would never be reached, and a table line naming a
// path its router does not serve would be a lie.
describe('the route table', () => {
  const gw = useGateway()

  it('names every path of every feature router it mounts, and only those', () => {
    const mounted = new Map<Router, Set<string>>()
    for (const layer of (gw.app.router as unknown as { stack: Layer[] }).stack) {
      if (!layer.route) continue
      for (const { handle } of layer.route.stack) {
        if (!isRouter(handle)) continue
        const paths = mounted.get(handle) ?? new Set()
        for (const path of pathsOf(layer.route)) paths.add(path)
        mounted.set(handle, paths)
      }
    }
    expect(mounted.size).toBeGreaterThanOrEqual(5)
    for (const [router, tablePaths] of mounted) {
      const served = new Set(
        (router as unknown as { stack: Layer[] }).stack.flatMap((l) =>
          l.route ? pathsOf(l.route) : [],
        ),
      )
      // A router-wide middleware would also run for every path the table gives the router.
      expect((router as unknown as { stack: Layer[] }).stack.filter((l) => !l.route)).toEqual([])
      expect([...served].filter((p) => !tablePaths.has(p))).toEqual([])
      expect([...tablePaths].filter((p) => !served.has(p))).toEqual([])
    }
  })
})
