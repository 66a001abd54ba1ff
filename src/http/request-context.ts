import { randomUUID } from 'node:crypto'
import type { RequestHandler } from 'express'
import type { Log } from '../log.js'

const INCOMING_ID = /^[\w.-]{1,64}$/

// Paths that carry a secret in their last segment: the secret never reaches the log.
const SECRET_PATHS = /^(\/(?:invite|reset-password)\/)[^/]+/i

export const redactPath = (path: string) => path.replace(SECRET_PATHS, '$1[redacted]')

/** Request id (kept from a proxy when well-formed), a child logger, and one access-log line. */
export function requestContext(log: Log): RequestHandler {
  return (req, res, next) => {
    const incoming = req.get('x-request-id')
    const requestId = incoming && INCOMING_ID.test(incoming) ? incoming : randomUUID()
    res.locals.requestId = requestId
    res.locals.log = log.child({ requestId })
    res.set('X-Request-Id', requestId)

    const started = process.hrtime.bigint()
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6
      // Path only: query strings carry codes and state that have no place in a log.
      res.locals.log.info(
        {
          method: req.method,
          path: redactPath(req.path),
          status: res.statusCode,
          ms: Math.round(ms * 10) / 10,
        },
        'request',
      )
    })
    next()
  }
}
