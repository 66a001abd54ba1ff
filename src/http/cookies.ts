import { parse, type SerializeOptions, serialize } from 'cookie'
import type { Request, Response } from 'express'

export type CookieOptions = Omit<SerializeOptions, 'secure' | 'encode'>

/** The first cookie of that name the browser sent; undefined when absent or empty. */
export function readCookie(req: Request, name: string): string | undefined {
  const header = req.headers.cookie
  if (!header) return undefined
  return parse(header)[name] || undefined
}

/**
 * Secure follows the tenant's canonical URL, never the request: behind a TLS-terminating proxy
 * the request looks like plain HTTP, and a plain-http localhost tenant must still get its cookie.
 */
export function setCookie(res: Response, name: string, value: string, options: CookieOptions) {
  res.append('Set-Cookie', serialize(name, value, { ...options, secure: isSecure(res) }))
}

export function clearCookie(res: Response, name: string, options: CookieOptions = {}) {
  setCookie(res, name, '', { ...options, maxAge: 0, expires: new Date(0) })
}

export const isSecure = (res: Response): boolean =>
  res.locals.tenant?.publicUrl.startsWith('https:') ?? false

/**
 * `__Host-` makes the browser refuse the cookie unless it is Secure, host-only and Path=/, so
 * a sibling subdomain (another tenant) cannot plant or overwrite it. Browsers require HTTPS for it.
 */
export const hostCookieName = (res: Response, name: string): string =>
  isSecure(res) ? `__Host-${name}` : name
