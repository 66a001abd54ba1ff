import { type RequestHandler, Router } from 'express'
import type { Db } from '../db/database.js'
import { probeReadiness, type Readiness } from '../db/readiness.js'
import { AppError } from '../errors.js'

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

// Until start-up has applied the migrations, tenant requests get a clear 503, not a missing-table 500.
export const requireMigrated =
  (readiness: Readiness): RequestHandler =>
  (_req, _res, next) => {
    if (!readiness.migrated)
      throw new AppError('unavailable', 'The gateway is starting. Please try again in a moment.')
    next()
  }
