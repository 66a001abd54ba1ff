import { randomUUID } from 'node:crypto'
import type { RequestHandler, Response } from 'express'
import type { Log } from '../log.js'

const INCOMING_ID = /^[\w.-]{1,64}$/

// Paths that carry a secret in their last segment: the secret never reaches the log.
const SECRET_PATHS = /^(\/(?:invite|reset-password)\/)[^/]+/i

export const redactPath = (path: string) => path.replace(SECRET_PATHS, '$1[redacted]')

type Level = 'info' | 'debug'

/**
 * Request id (kept from a proxy when well-formed), the request's logger, and one access-log
 * line at `level`. The logger (`res.locals.log`, with the request id and, once resolved, the
 * tenant) is made on first use: most requests log nothing but the access line, which is
 * written without one, and only when its level is on.
 */
export function requestContext(log: Log, level: Level = 'info'): RequestHandler {
  return (req, res, next) => {
    const incoming = req.headers['x-request-id']
    const requestId =
      typeof incoming === 'string' && INCOMING_ID.test(incoming) ? incoming : randomUUID()
    res.locals.requestId = requestId
    lazyLog(res, log, requestId)
    res.setHeader('X-Request-Id', requestId)

    if (log.isLevelEnabled(level)) {
      const started = process.hrtime.bigint()
      res.on('finish', () => {
        const ms = Number(process.hrtime.bigint() - started) / 1e6
        const tenant = res.locals.tenant?.slug
        // Path only: query strings carry codes and state that have no place in a log.
        log[level](
          {
            requestId,
            ...(tenant && { tenant }),
            method: req.method,
            path: redactPath(req.path),
            status: res.statusCode,
            ms: Math.round(ms * 10) / 10,
          },
          'request',
        )
      })
    }
    next()
  }
}

/** res.locals.log: a child of `log` with the request id, and the tenant once resolved. */
function lazyLog(res: Response, log: Log, requestId: string) {
  let child: Log | undefined
  let childTenant: string | undefined
  Object.defineProperty(res.locals, 'log', {
    configurable: true,
    enumerable: true,
    get() {
      const tenant = res.locals.tenant?.slug
      if (!child || childTenant !== tenant) {
        child = log.child(tenant ? { requestId, tenant } : { requestId })
        childTenant = tenant
      }
      return child
    },
    set(value: Log) {
      child = value
      childTenant = res.locals.tenant?.slug
    },
  })
}
