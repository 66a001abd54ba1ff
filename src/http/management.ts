import express, { type ErrorRequestHandler, type Express } from 'express'
import { Registry } from 'prom-client'
import type { Db } from '../db/database.js'
import type { Readiness } from '../db/readiness.js'
import type { Log } from '../log.js'
import { databaseMetrics } from '../metrics/database.js'
import { processMetrics } from '../metrics/registry.js'
import { healthRoutes } from './health.routes.js'

/**
 * The operators' listener (MANAGEMENT_PORT): Prometheus metrics and the probes, on a port the
 * tenants' balancer does not forward (DESIGN.md: operators' endpoints are not tenants'
 * endpoints). The public listener never answers /metrics: series carry tenant ids and traffic.
 */
export function managementApp(db: Db, readiness: Readiness, log: Log): Express {
  const metrics = Registry.merge([processMetrics, databaseMetrics(db)])
  const app = express()
  app.disable('x-powered-by')
  app.disable('etag')
  app.get(['/healthz', '/readyz'], healthRoutes(db, readiness))
  app.get('/metrics', async (_req, res) => {
    res
      .type(metrics.contentType)
      .set('Cache-Control', 'no-store')
      .send(await metrics.metrics())
  })
  app.use((_req, res) => {
    res.status(404).json({
      error: 'not_found',
      message: 'Only /metrics, /healthz and /readyz here.',
      details: null,
    })
  })
  // Express's own handler would print the stack outside production.
  app.use(((err, _req, res, _next) => {
    log.error({ err }, 'metrics scrape failed')
    res.status(500).json({
      error: 'internal_error',
      message: 'Something went wrong on our side.',
      details: null,
    })
  }) satisfies ErrorRequestHandler)
  return app
}
