import type { Request, Response } from 'express'
import { clearCookie, hostCookieName, readCookie, setCookie } from './cookies.js'

const RETURN_COOKIE = 'gw_return'

/**
 * Only a path of this origin: "//evil.example", "/\evil.example" and absolute URLs would send
 * a person who just signed in to a look-alike site (open redirect).
 */
export function safeReturnTo(value: unknown): string {
  if (typeof value !== 'string' || !value.startsWith('/') || value.length > 2000) return '/'
  if (/[\\\u0000-\u001f\u007f]/.test(value) || value.startsWith('//')) return '/'
  const base = 'http://gateway.invalid'
  const url = new URL(value, base)
  // Checked again once dot segments are resolved: "/.//evil.example" becomes "//evil.example".
  const path = `${url.pathname}${url.search}${url.hash}`
  return url.origin === base && !path.startsWith('//') ? path : '/'
}

/** Remembers where to go once the steps the session owes are done. */
export function deferReturn(res: Response, returnTo: string): void {
  const path = safeReturnTo(returnTo)
  if (path === '/') return
  setCookie(res, hostCookieName(res, RETURN_COOKIE), path, {
    httpOnly: true,
    sameSite: 'lax',
    path: '/',
    maxAge: 3600,
  })
}

/** Where to go now that no step is owed: the remembered page (once), else home. */
export function continueTo(req: Request, res: Response): string {
  const name = hostCookieName(res, RETURN_COOKIE)
  const remembered = readCookie(req, name)
  if (!remembered) return '/'
  clearCookie(res, name, { httpOnly: true, sameSite: 'lax', path: '/' })
  return safeReturnTo(remembered)
}

/**
 * An app's sign-in waits at /interaction/:uid (tokens/tokens.routes.ts) while the person uses
 * our pages. This is where the login form ends it with access_denied: the person cancelled, or
 * their access is disabled. Undefined when the form is not part of an app's sign-in.
 */
export function abortSignIn(returnTo: string, reason?: 'disabled'): string | undefined {
  if (!/^\/interaction\/[\w-]+$/.test(returnTo)) return undefined
  return `${returnTo}/abort${reason ? `?reason=${reason}` : ''}`
}
