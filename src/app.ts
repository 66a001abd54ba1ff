import { fileURLToPath } from 'node:url'
import express, { type Express, type RequestHandler } from 'express'
import type { RuntimeConfig } from './config.js'
import type { Db } from './db/database.js'
import type { Readiness } from './db/readiness.js'
import { AppError } from './errors.js'
import { errorHandler, notFound } from './http/errors.js'
import { healthRoutes } from './http/health.routes.js'
import './http/locals.js'
import { requestContext } from './http/request-context.js'
import { securityHeaders } from './http/security-headers.js'
import { resolveTenant } from './http/tenant.js'
import { tenantPages } from './http/tenant-pages.js'
import type { Hasher } from './identity/hashing.js'
import type { Log } from './log.js'
import { mailboxRoutes } from './mail/mailbox.routes.js'
import { adminRoutes } from './admin/admin.routes.js'

export type Deps = {
  config: RuntimeConfig
  db: Db
  log: Log
  readiness: Readiness
  hasher: Hasher
}

const ASSETS = fileURLToPath(new URL('./http/assets/', import.meta.url))

export function createApp(deps: Deps): Express {
  const { config, db, log, readiness } = deps
  const app = express()
  app.locals.log = log
  app.disable('x-powered-by')
  app.set('trust proxy', config.trustProxy)

  app.use(requestContext(log), securityHeaders())
  app.use(healthRoutes(db, readiness))
  app.use('/assets', express.static(ASSETS, { fallthrough: false, index: false, maxAge: '1h' }))

  app.use(requireMigrated(readiness))
  app.use('/admin/api/v1', adminRoutes(deps))
  app.use(resolveTenant(db, config, config.tenantCacheTtlMs))
  // Without SMTP a first-time user reads the mail here; never in production.
  if (!config.smtpUrl && !config.isProduction)
    app.use(mailboxRoutes(db, config.secretKey, config.mailTemplates))
  app.use(tenantPages(deps))

  app.use(notFound)
  app.use(errorHandler)
  return app
}

// Until start-up has applied the migrations, tenant requests get a clear 503, not a missing-table 500.
const requireMigrated =
  (readiness: Readiness): RequestHandler =>
  (_req, _res, next) => {
    if (!readiness.migrated)
      throw new AppError('unavailable', 'The gateway is starting. Please try again in a moment.')
    next()
  }
