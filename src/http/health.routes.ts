import { Router } from 'express'
import type { Db } from '../db/database.js'
import { probeReadiness, type Readiness } from '../db/readiness.js'

/** Host-independent probes for orchestrators: liveness of the process, readiness of its database. */
export function healthRoutes(db: Db, readiness: Readiness): Router {
  const router = Router()
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' })
  })
  router.get('/readyz', async (_req, res) => {
    const { ready, checks } = await probeReadiness(db, readiness)
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'unavailable', checks })
  })
  return router
}
