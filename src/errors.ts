// Codes are part of the API: lower_snake, stable, listed in the OpenAPI document.
export const ERROR_CODES = [
  'invalid_request',
  'unauthorized',
  'forbidden',
  'not_found',
  'conflict',
  'payload_too_large',
  'rate_limited',
  'invitation_invalid', // unknown, expired, used or revoked: indistinguishable on purpose
  'password_rejected', // details list every reason
  'busy', // every password-hashing slot is taken: retry shortly instead of queueing without bound
  'unavailable', // the database is unreachable or not migrated yet
  'tenant_misconfigured', // a tenant's stored settings do not validate; other tenants keep working
  'idempotency_key_reused', // the same Idempotency-Key came with another request body
] as const
export type ErrorCode = (typeof ERROR_CODES)[number]

/** `message` and `details` are shown to clients; `cause` is only ever logged. */
export class AppError extends Error {
  override readonly name = 'AppError'
  readonly code: ErrorCode
  readonly details: unknown

  constructor(
    code: ErrorCode,
    message: string,
    options: { details?: unknown; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause })
    this.code = code
    this.details = options.details
  }
}
