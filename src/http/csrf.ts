import { createHmac } from 'node:crypto'
import express, { type Request, type RequestHandler, type Response } from 'express'
import { AppError } from '../errors.js'
import { newToken, safeEqual, TOKEN_PATTERN } from '../lib/tokens.js'
import { hostCookieName, readCookie, setCookie } from './cookies.js'

// Signed double-submit (OWASP CSRF cheat sheet): the cookie holds a random value, the form a MAC
// of it bound to the tenant. A forged form cannot read the cookie, nor mint a MAC without the
// key, and a token minted on one tenant's pages is refused by every other tenant.
const COOKIE = 'csrf'
const FIELD = '_csrf'
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

// The cookie set earlier in this same response, so a page with two forms gets one cookie.
const issued = new WeakMap<Response, string>()
// Requests whose form passed the check: a route that hands a request on to the next router of
// the same path (home-realm discovery, then the password login) checks it once.
const verified = new WeakSet<Request>()

/**
 * The value for the hidden `_csrf` field; sets the cookie when the browser has none. A page that
 * carries a form is this browser's alone (and often personal): no cache keeps it, even on a form
 * route the table (src/routes.ts, which mounts pages with noStore) does not know yet.
 */
export function csrfToken(req: Request, res: Response, secretKey: string): string {
  res.set('Cache-Control', 'no-store')
  const name = hostCookieName(res, COOKIE)
  let value = issued.get(res) ?? readCookie(req, name)
  if (!value || !TOKEN_PATTERN.test(value)) {
    value = newToken()
    setCookie(res, name, value, { httpOnly: true, sameSite: 'lax', path: '/' })
  }
  issued.set(res, value)
  return sign(secretKey, value, res.locals.tenant.id)
}

// The check needs the form's fields, so it reads the form itself: a new form route cannot
// forget the body parser (which would turn every submission into a 403).
const readForm = express.urlencoded({ extended: false, limit: '64kb' })

/** For form POSTs: parses the urlencoded body (64 kB at most), then checks its `_csrf` field. */
export function verifyCsrf(secretKey: string): RequestHandler {
  const refused = () =>
    new AppError('forbidden', 'This form has expired. Please reload the page and try again.')
  return (req, res, next) => {
    if (SAFE_METHODS.has(req.method) || verified.has(req)) return next()
    // Called back outside Express's promise handling: nothing in here may throw.
    readForm(req, res, (err?: unknown) => {
      if (err) return next(err)
      let valid: boolean
      try {
        valid = isValid(req, res)
      } catch (error) {
        return next(error)
      }
      if (!valid) return next(refused())
      verified.add(req)
      next()
    })
  }
  function isValid(req: Request, res: Response): boolean {
    const tenant = res.locals.tenant
    const cookie = readCookie(req, hostCookieName(res, COOKIE))
    const field: unknown = req.body?.[FIELD]
    const origin = req.get('origin')
    return (
      tenant !== undefined &&
      cookie !== undefined &&
      TOKEN_PATTERN.test(cookie) &&
      typeof field === 'string' &&
      safeEqual(field, sign(secretKey, cookie, tenant.id)) &&
      // A foreign Origin is refused outright. "null" carries no information: Chromium sends it
      // for every form POST from a page with Referrer-Policy: no-referrer (our token pages), so
      // there the signed token bound to the cookie decides alone.
      (origin === undefined || origin === 'null' || origin === new URL(tenant.publicUrl).origin)
    )
  }
}

// The label keeps these MACs apart from anything else keyed with SECRET_KEY. The cookie value is
// fixed-length (43 characters), so cookie + tenant id cannot be re-split differently.
const sign = (secretKey: string, cookie: string, tenantId: string) =>
  createHmac('sha256', secretKey).update(`csrf:${cookie}${tenantId}`).digest('base64url')
