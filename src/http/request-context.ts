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
    withLazyLog(res, log, requestId)
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

const kLog = Symbol('request log')
type LogState = { root: Log; child: Log | undefined; tenant: string | undefined }
type LocalsWithLog = Response['locals'] & { [kLog]: LogState }

// res.locals.log is a getter of a shared prototype, not a property defined on each request's
// locals: an accessor with closures defined per request kept every request's objects past young
// collections on Node 20 (the heap grew and full collections ran under load).
const LOCALS: object = Object.create(null, {
  log: {
    configurable: true,
    enumerable: true,
    get(this: LocalsWithLog): Log {
      const state = this[kLog]
      const tenant = this.tenant?.slug
      if (!state.child || state.tenant !== tenant) {
        const { requestId } = this
        state.child = state.root.child(tenant ? { requestId, tenant } : { requestId })
        state.tenant = tenant
      }
      return state.child
    },
    set(this: LocalsWithLog, value: Log) {
      const state = this[kLog]
      state.child = value
      state.tenant = this.tenant?.slug
    },
  },
})

/**
 * res.locals with the request id and `log`: a child of `log` with the request id, and the tenant
 * once resolved, made on first use.
 */
function withLazyLog(res: Response, log: Log, requestId: string) {
  const locals = Object.create(LOCALS) as LocalsWithLog
  // Before what res.locals held is copied in: a `log` among it meets the setter.
  locals[kLog] = { root: log, child: undefined, tenant: undefined }
  Object.assign(locals, res.locals)
  locals.requestId = requestId
  res.locals = locals
}
