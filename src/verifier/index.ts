/**
 * Verifies the gateway's access tokens (RFC 9068 JWTs) in an app's API. Standalone: only `jose`.
 *
 *   import { requireAccessToken } from 'auth-gateway/verifier'
 *   app.use('/api', requireAccessToken({ issuer, audience: `${issuer}/api` }))
 */
import { createRemoteJWKSet, customFetch, errors, jwtVerify, type JWTPayload } from 'jose'

/** The claims of a verified access token. */
export type AccessTokenClaims = JWTPayload & {
  iss: string
  aud: string | string[]
  sub: string
  exp: number
  iat: number
  jti: string
  client_id: string
  scope?: string
  tenant?: string
  email?: string
  name?: string
  roles?: string[]
  groups?: string[]
  products?: string[]
  kind?: string
  /** How the person signed in (RFC 8176): `['pwd']` for the store's password form. */
  amr?: string[]
  /** Where the account lives; `directory_kind` `database` (a password), `saml` or `oidc` (company). */
  directory_id?: string
  directory_kind?: 'database' | 'saml' | 'oidc'
}

export type VerifyOptions = {
  /** The tenant's issuer, e.g. `https://acme.example.com`; its keys are read at `${issuer}/jwks`. */
  issuer: string
  /** Usually `${issuer}/api`. */
  audience: string | string[]
  /** Allowed signing algorithms; default RS256 and ES256 (never `none` nor HMAC). */
  algorithms?: string[]
  /** Leeway for `exp` and `nbf`; default 5 s. */
  clockToleranceSeconds?: number
  /** fetch used to read the JWKS (tests, proxies); part of the JWKS cache key by identity. */
  fetch?: typeof fetch
}

export type InvalidTokenCode =
  | 'malformed'
  | 'expired'
  | 'bad_signature'
  | 'wrong_algorithm'
  | 'unknown_key'
  | 'wrong_type'
  | 'wrong_issuer'
  | 'wrong_audience'
  | 'invalid_claims'

/** The token is not one to accept; `code` says why. Other errors (JWKS unreachable) are not. */
export class InvalidTokenError extends Error {
  override readonly name = 'InvalidTokenError'
  readonly code: InvalidTokenCode
  constructor(code: InvalidTokenCode, message: string, options?: ErrorOptions) {
    super(message, options)
    this.code = code
  }
}

const DEFAULT_ALGORITHMS = ['RS256', 'ES256']
const REQUIRED_CLAIMS = ['iss', 'aud', 'sub', 'exp', 'iat', 'jti', 'client_id']

// One JWKS getter per issuer and fetch: jose caches the keys (10 min) and refetches once on an
// unknown `kid`, at most every 30 s.
type Jwks = ReturnType<typeof createRemoteJWKSet>
const jwksCache = new Map<string, Map<typeof fetch | undefined, Jwks>>()

function jwksOf(issuer: string, fetchImpl: typeof fetch | undefined): Jwks {
  const byFetch = jwksCache.get(issuer) ?? new Map<typeof fetch | undefined, Jwks>()
  jwksCache.set(issuer, byFetch)
  let jwks = byFetch.get(fetchImpl)
  if (!jwks) {
    const url = new URL(`${issuer.replace(/\/+$/, '')}/jwks`)
    jwks = createRemoteJWKSet(url, fetchImpl ? { [customFetch]: fetchImpl } : {})
    byFetch.set(fetchImpl, jwks)
  }
  return jwks
}

/** Translates jose's errors about the token; anything else (network, bad JWKS) is rethrown. */
function invalid(error: unknown): never {
  const is = (code: InvalidTokenCode, message: string): never => {
    throw new InvalidTokenError(code, message, { cause: error })
  }
  if (error instanceof errors.JWTExpired) is('expired', 'the token has expired')
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'typ') is('wrong_type', 'the token is not an access token (typ at+jwt)')
    if (error.claim === 'iss') is('wrong_issuer', 'the token is from another issuer')
    if (error.claim === 'aud') is('wrong_audience', 'the token is for another audience')
    is('invalid_claims', `the token's claims are invalid: ${error.message}`)
  }
  if (error instanceof errors.JWSSignatureVerificationFailed)
    is('bad_signature', 'the token signature is invalid')
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported)
    is('wrong_algorithm', 'the token uses an algorithm or header that is not allowed')
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys)
    is('unknown_key', 'the token is signed with a key the issuer does not publish')
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid)
    is('malformed', 'the token is not a well-formed JWT')
  throw error
}

/** The claims of a valid access token; throws `InvalidTokenError` otherwise. */
export async function verifyAccessToken(
  token: string,
  options: VerifyOptions,
): Promise<AccessTokenClaims> {
  const { issuer, audience, algorithms = DEFAULT_ALGORITHMS } = options
  try {
    const { payload } = await jwtVerify(token, jwksOf(issuer, options.fetch), {
      issuer,
      audience,
      algorithms,
      typ: 'at+jwt',
      requiredClaims: REQUIRED_CLAIMS,
      clockTolerance: options.clockToleranceSeconds ?? 5,
    })
    if (typeof payload.client_id !== 'string' || typeof payload.jti !== 'string')
      throw new InvalidTokenError('invalid_claims', 'the token has no valid client_id or jti')
    return payload as AccessTokenClaims
  } catch (error) {
    if (error instanceof InvalidTokenError) throw error
    return invalid(error)
  }
}

/** The parts of a request and response the middleware uses (Express or compatible). */
export type AuthRequest = {
  headers: { authorization?: string | undefined }
  auth?: AccessTokenClaims
}
export type AuthResponse = {
  status(code: number): AuthResponse
  setHeader(name: string, value: string): unknown
  json(body: unknown): unknown
}

/**
 * Middleware: `Authorization: Bearer <token>` must be a valid access token; its claims are set
 * as `req.auth`. Otherwise 401 with an RFC 6750 challenge. JWKS failures go to `next(error)`.
 */
export function requireAccessToken(options: VerifyOptions) {
  return (req: AuthRequest, res: AuthResponse, next: (error?: unknown) => void): void => {
    const token = /^Bearer +(\S+) *$/i.exec(req.headers.authorization ?? '')?.[1]
    if (!token) {
      res.setHeader('WWW-Authenticate', 'Bearer')
      res.status(401).json({ error: 'unauthorized', message: 'a bearer access token is required' })
      return
    }
    verifyAccessToken(token, options).then(
      (claims) => {
        req.auth = claims
        next()
      },
      (error: unknown) => {
        if (!(error instanceof InvalidTokenError)) return next(error)
        res.setHeader('WWW-Authenticate', 'Bearer error="invalid_token"')
        res.status(401).json({ error: 'invalid_token', message: error.message })
      },
    )
  }
}
