import { randomBytes } from 'node:crypto'
import type { Request, Response } from 'express'
import { hostCookieName, readCookie, setCookie } from './cookies.js'

// Login CSRF (RFC 9700 4.7, OIDC Core 3.1.2.1): without it, an attacker starts a sign-in with
// their own company account, stops before the callback and sends the victim that callback URL;
// the victim's browser would be signed in as the attacker. The sign-in is bound to the browser
// that started it: a random value in a cookie, its hash stored with the request (oidc.ts), and a
// callback whose browser does not hold it is refused.
//
// SameSite=Lax: the IdP sends the person back with a top-level GET, which carries Lax cookies.
// `__Host-` on https: a sibling host (another tenant) cannot plant or overwrite it. One value
// per browser, kept while it lives, so two sign-ins started in two tabs both finish.

const COOKIE = 'gw_sso_browser'
const LIFETIME_S = 600 // the sign-in request's own lifetime (oidc.ts)
const VALUE = /^[A-Za-z0-9_-]{43}$/

/** The value this browser's sign-ins are bound to; set (or refreshed) on the response. */
export function bindSsoBrowser(req: Request, res: Response): string {
  const name = hostCookieName(res, COOKIE)
  const held = readCookie(req, name)
  const value = held && VALUE.test(held) ? held : randomBytes(32).toString('base64url')
  setCookie(res, name, value, { httpOnly: true, sameSite: 'lax', path: '/', maxAge: LIFETIME_S })
  return value
}

/** The value the browser holds, if any (the callback compares its hash with the request's). */
export function ssoBrowserOf(req: Request, res: Response): string | undefined {
  const held = readCookie(req, hostCookieName(res, COOKIE))
  return held && VALUE.test(held) ? held : undefined
}
