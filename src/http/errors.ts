import type { ErrorRequestHandler, Request, RequestHandler } from 'express'
import { isDatabaseTimeout, isDatabaseUnavailable } from '../db/errors.js'
import { AppError, type ErrorCode } from '../errors.js'
import { html } from '../lib/html.js'
import { type MessageKey, pickLocale, t } from '../lib/i18n.js'
import { errorPage, page } from './layout.js'
import { acceptedLanguages, pageLocale } from './page-locale.js'

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
  idempotency_key_reused: 422,
  rate_limited: 429,
  tenant_misconfigured: 500,
  busy: 503,
  unavailable: 503,
} as const satisfies Record<ErrorCode, number>

// The refusals people meet on a tenant's pages, told in their language.
const LOCALIZED: Partial<Record<ErrorCode, MessageKey>> = { rate_limited: 'limited', busy: 'busy' }

const NOT_FOUND = 'There is nothing at this address.'

export const notFound: RequestHandler = () => {
  throw new AppError('not_found', NOT_FOUND)
}

export const wantsJson = (req: Request) =>
  req.path.startsWith('/admin/api/') || req.accepts(['html', 'json']) === 'json'

/** A path that is not valid percent-encoding is the client's mistake, before any router decodes it. */
export const requireDecodablePath: RequestHandler = (req, _res, next) => {
  try {
    decodeURIComponent(req.path)
  } catch {
    throw new AppError('invalid_request', 'The address contains a malformed %-escape.')
  }
  next()
}

type Answer = { status: number; error: AppError }

// An error a library raised for the client (http-errors' convention: body-parser, raw-body,
// send/serve-static, router): a 4xx `status`/`statusCode`. `expose` only says whether its message
// may be shown (send marks its 404 `expose: false` because the message names a file), and we
// never show a library's message anyway.
function clientStatusOf(err: unknown): number | undefined {
  if (!(err instanceof Error)) return undefined
  const { status, statusCode } = err as { status?: unknown; statusCode?: unknown }
  const value = typeof status === 'number' ? status : statusCode
  return typeof value === 'number' && Number.isInteger(value) && value >= 400 && value < 500
    ? value
    : undefined
}

// The generic codes a library's status takes; any other 4xx keeps its status as invalid_request.
const CODE_FOR_STATUS = new Map<number, ErrorCode>([
  [400, 'invalid_request'],
  [401, 'unauthorized'],
  [409, 'conflict'],
  [413, 'payload_too_large'],
  [429, 'rate_limited'],
])

// Errors raised outside our code (body parsers, static files, the database driver) get a code
// of ours here; anything unknown is ours to fix (500).
function answerFor(err: unknown): Answer | undefined {
  if (err instanceof AppError) return { status: statusOf[err.code], error: err }
  if (isDatabaseUnavailable(err)) {
    const message = 'The service is temporarily unavailable. Please try again in a moment.'
    return { status: 503, error: new AppError('unavailable', message, { cause: err }) }
  }
  if (isDatabaseTimeout(err)) {
    const message = 'The service is busy. Please try again in a moment.'
    return { status: 503, error: new AppError('unavailable', message, { cause: err }) }
  }
  const status = clientStatusOf(err)
  if (status === undefined) return undefined
  // A static file refused (a path climbing out of its folder) or missing is simply not here:
  // a distinct 403 would tell a prober which paths exist.
  if (status === 403 || status === 404)
    return { status: 404, error: new AppError('not_found', NOT_FOUND, { cause: err }) }
  const code = CODE_FOR_STATUS.get(status) ?? 'invalid_request'
  const message =
    code === 'payload_too_large'
      ? 'The request body is too large.'
      : 'The request could not be read.'
  return { status, error: new AppError(code, message, { cause: err }) }
}

/** The one error handler: JSON for APIs, a page for browsers; stacks never leave the process. */
export const errorHandler: ErrorRequestHandler = (err, req, res, next) => {
  if (res.headersSent) return next(err)

  const known = answerFor(err)
  const status = known?.status ?? 500
  const body = known
    ? {
        error: known.error.code,
        message: known.error.message,
        details: known.error.details ?? null,
      }
    : { error: 'internal_error', message: 'Something went wrong on our side.', details: null }
  const localized = known && LOCALIZED[known.error.code]
  // Client mistakes and load shedding are routine; an error-level line means ours to fix.
  const level = status < 500 || localized ? 'info' : 'error'
  const log = res.locals.log ?? req.app.locals.log
  const cause = known ? known.error.cause : err
  log?.[level]({ err: cause ?? undefined, code: body.error, status }, 'request failed')

  const retryAfter = (known?.error.details as { retryAfterSeconds?: unknown } | undefined)
    ?.retryAfterSeconds
  if (typeof retryAfter === 'number')
    res.set('Retry-After', String(Math.max(1, Math.ceil(retryAfter))))
  else if (status === 503 || localized)
    res.set('Retry-After', known?.error.code === 'unavailable' ? '5' : '1')

  if (wantsJson(req)) return res.status(status).json(body)
  const tenant = res.locals.tenant
  res.status(status).type('html')
  // People read the page in their language, on a store's host and off it (an unknown host).
  const locale = tenant
    ? pageLocale(req, res)
    : pickLocale(acceptedLanguages(req.get('accept-language')), 'en')
  if (!localized || !tenant)
    return res.send(
      errorPage(status, { locale, tenantName: tenant?.name, detail: known?.error.message }).value,
    )
  const title = t(locale, localized)
  const shell = page({
    title,
    tenantName: tenant.name,
    lang: locale,
    body: html`<h1>${title}</h1>`,
  })
  res.send(shell.value)
}
