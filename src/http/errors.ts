import type { ErrorRequestHandler, Request, RequestHandler } from 'express'
import { isDatabaseUnavailable } from '../db/errors.js'
import { AppError, type ErrorCode } from '../errors.js'
import { errorPage } from './layout.js'

// The only table of HTTP statuses. A new ErrorCode without a row here does not compile.
export const statusOf = {
  invalid_request: 400,
  invitation_invalid: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  password_rejected: 422,
  rate_limited: 429,
  tenant_misconfigured: 500,
  busy: 503,
  unavailable: 503,
} as const satisfies Record<ErrorCode, number>

export const notFound: RequestHandler = () => {
  throw new AppError('not_found', 'There is nothing at this address.')
}

export const wantsJson = (req: Request) =>
  req.path.startsWith('/admin/api/') || req.accepts(['html', 'json']) === 'json'

// Errors raised outside our code (body parsers, the database driver) get a code of ours here.
function toAppError(err: unknown): AppError | undefined {
  if (err instanceof AppError) return err
  const type = (err as { type?: unknown })?.type
  if (type === 'entity.too.large')
    return new AppError('payload_too_large', 'The request body is too large.')
  if (
    (typeof type === 'string' && type.startsWith('entity.')) ||
    type === 'charset.unsupported' ||
    type === 'encoding.unsupported'
  ) {
    return new AppError('invalid_request', 'The request body could not be read.')
  }
  const status = (err as { status?: unknown })?.status
  if (status === 404) return new AppError('not_found', 'There is nothing at this address.')
  if (isDatabaseUnavailable(err)) {
    return new AppError(
      'unavailable',
      'The service is temporarily unavailable. Please try again in a moment.',
      { cause: err },
    )
  }
  return undefined
}

export const errorHandler: ErrorRequestHandler = (err, req, res, next) => {
  if (res.headersSent) return next(err)

  const known = toAppError(err)
  const status = known ? statusOf[known.code] : 500
  const body = known
    ? { error: known.code, message: known.message, details: known.details ?? null }
    : { error: 'internal_error', message: 'Something went wrong on our side.', details: null }
  const log = res.locals.log ?? req.app.locals.log
  const cause = known ? known.cause : err
  log?.[status < 500 ? 'info' : 'error'](
    { err: cause ?? undefined, code: body.error, status },
    'request failed',
  )

  const retryAfter = (known?.details as { retryAfterSeconds?: unknown } | undefined)
    ?.retryAfterSeconds
  if (typeof retryAfter === 'number')
    res.set('Retry-After', String(Math.max(1, Math.ceil(retryAfter))))
  else if (status === 503) res.set('Retry-After', known?.code === 'busy' ? '1' : '5')
  if (wantsJson(req)) res.status(status).json(body)
  else
    res
      .status(status)
      .type('html')
      .send(errorPage(status, body.message, res.locals.tenant?.name).value)
}
