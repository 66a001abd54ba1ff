// Errors that mean "the database cannot be reached right now", as opposed to a bad query:
// the request gets 503 and the process keeps running until the server is back.
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'EPIPE',
])

export function isDatabaseUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false
  const code = (error as { code?: unknown }).code
  if (
    typeof code === 'string' &&
    (NETWORK_CODES.has(code) || code.startsWith('08') || code === '57P01' || code === '57P03')
  ) {
    return true
  }
  if (error instanceof AggregateError) return error.errors.some(isDatabaseUnavailable)
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(
    error.message,
  )
}

// A statement PostgreSQL gave up on under the session's bounds (database.ts, SESSION_LIMITS):
// statement_timeout (57014, also any cancel), lock_timeout (55P03), a transaction left idle too
// long (25P03). The database is up but busy: the request gets 503 and may be tried again.
const TIMEOUT_CODES = new Set(['57014', '55P03', '25P03'])

export function isDatabaseTimeout(error: unknown): boolean {
  if (!(error instanceof Error)) return false
  const code = (error as { code?: unknown }).code
  return typeof code === 'string' && TIMEOUT_CODES.has(code)
}

export function describeDatabaseError(error: unknown): string {
  if (!(error instanceof Error)) return String(error)
  const code = (error as { code?: unknown }).code
  const message =
    error.message ||
    (error instanceof AggregateError ? error.errors.map(describeDatabaseError).join('; ') : '')
  return typeof code === 'string' && !message.includes(code) ? `${code} ${message}`.trim() : message
}
