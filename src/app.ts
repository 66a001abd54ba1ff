import express, { type Express } from 'express'
import type { RuntimeConfig } from './config.js'
import type { Db } from './db/database.js'
import type { Readiness } from './db/readiness.js'
import './http/locals.js'
import type { Hasher } from './identity/hashing.js'
import type { Log } from './log.js'
import type { SsoContext } from './sso/connection.js'
import { mountRoutes } from './routes.js'

export type Deps = {
  config: RuntimeConfig
  db: Db
  log: Log
  readiness: Readiness
  hasher: Hasher
  /** Outbound requests to IdPs (SsoContext.fetch): tests only; absent, the guarded fetch. */
  ssoFetch?: SsoContext['fetch']
}

/** The gateway as an Express app; src/routes.ts is its table of every path. */
export function createApp(deps: Deps): Express {
  const app = express()
  app.locals.log = deps.log
  app.disable('x-powered-by')
  // X-Forwarded-* count only from the proxies TRUST_PROXY names (Express's proxy-addr list).
  app.set('trust proxy', deps.config.trustProxy)
  mountRoutes(app, deps)
  return app
}
