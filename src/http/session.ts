import type { Request, RequestHandler, Response } from 'express'
import type { Db } from '../db/database.js'
import type { SessionPending } from '../db/schema.js'
import { AppError } from '../errors.js'
import { endSession, findSession, type Session } from '../identity/sessions.js'
import type { Html } from '../lib/html.js'
import { pickLocale } from '../lib/i18n.js'
import type { Locale } from '../tenants/settings.js'
import { clearCookie, hostCookieName, readCookie, setCookie } from './cookies.js'
import { csrfToken } from './csrf.js'

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Locals {
      /** Set by loadSession when the browser holds a live session of this tenant. */
      session?: Session
    }
  }
}

const COOKIE = 'gw_session'

/** Where a session that still owes a step must go before anything else. */
export const PENDING_PAGES = {
  password_change: '/password/change',
  terms: '/terms',
} as const satisfies Record<SessionPending, string>

const cookieName = (res: Response) => hostCookieName(res, COOKIE)

export function loadSession(db: Db): RequestHandler {
  return async (req, res, next) => {
    const token = readCookie(req, cookieName(res))
    const session = await findSession(db, res.locals.tenant.id, token)
    if (session) res.locals.session = session
    next()
  }
}

/** Pages only: without a session, off to the login form, which brings the person back here. */
export const requireSession: RequestHandler = (req, res, next) => {
  if (res.locals.session) return next()
  const back = req.method === 'GET' ? `?return_to=${encodeURIComponent(req.originalUrl)}` : ''
  res.redirect(303, `/login${back}`)
}

/** The session requireSession let through; typed without a cast. */
export function sessionOf(res: Response): Session {
  const session = res.locals.session
  if (!session) throw new AppError('unauthorized', 'Please sign in.')
  return session
}

/**
 * A password that no longer meets the store's policy, or Terms still owed, come before
 * anything else the session could reach; signing out always stays possible.
 */
export const pendingStepGuard: RequestHandler = (req, res, next) => {
  const pending = res.locals.session?.pending
  if (!pending) return next()
  const target = PENDING_PAGES[pending]
  const allowed =
    req.path === target ||
    req.path.startsWith(`${target}/`) ||
    req.path === '/logout' ||
    req.path.startsWith('/assets/')
  if (allowed) return next()
  // A page asked for on the way (an app's sign-in, say) is where the person goes afterwards.
  if (req.method === 'GET') deferReturn(res, req.originalUrl)
  res.redirect(303, target)
}

const RETURN_COOKIE = 'gw_return'

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
 * Sets the cookie of a session just started. The browser's previous session is deleted, so a
 * token planted before login (session fixation) or left on a shared computer never survives it.
 */
export async function beginSession(
  req: Request,
  res: Response,
  db: Db,
  started: { token: string; expiresAt: Date },
): Promise<void> {
  await endSession(db, res.locals.tenant.id, readCookie(req, cookieName(res)))
  setCookie(res, cookieName(res), started.token, {
    httpOnly: true,
    sameSite: 'lax',
    path: '/',
    expires: started.expiresAt,
  })
}

export async function finishSession(req: Request, res: Response, db: Db): Promise<void> {
  await endSession(db, res.locals.tenant.id, readCookie(req, cookieName(res)))
  clearCookie(res, cookieName(res), { httpOnly: true, sameSite: 'lax', path: '/' })
  delete res.locals.session
}

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

/**
 * The page's language: the invitation's (given first), the user's, `?lang=`, Accept-Language,
 * then the store's default.
 */
export function pageLocale(req: Request, res: Response, ...first: (string | null)[]): Locale {
  const lang = typeof req.query.lang === 'string' ? req.query.lang : undefined
  return pickLocale(
    [...first, res.locals.session?.locale, lang, ...acceptedLanguages(req.get('accept-language'))],
    res.locals.tenant.settings.defaultLocale,
  )
}

/** Pages whose URL or content carries a secret: kept out of caches and Referer headers. */
export const noStore: RequestHandler = (_req, res, next) => {
  res.set({ 'Referrer-Policy': 'no-referrer', 'Cache-Control': 'no-store' })
  next()
}

/** What every form page needs: the store's name, the language and the CSRF field's value. */
export function formContext(
  req: Request,
  res: Response,
  secretKey: string,
  ...first: (string | null)[]
) {
  return {
    tenantName: res.locals.tenant.name,
    locale: pageLocale(req, res, ...first),
    csrf: csrfToken(req, res, secretKey),
  }
}

export const sendPage = (res: Response, body: Html, status = 200) => {
  res.status(status).type('html').send(body.value)
}

/** Accept-Language tags, most preferred first (RFC 9110 §12.5.4); q=0 means "not this one". */
export function acceptedLanguages(header: string | undefined): string[] {
  if (!header) return []
  return header
    .split(',')
    .slice(0, 20)
    .map((part, index) => {
      const [tag = '', ...params] = part.trim().split(';')
      const q = params.map((p) => /^\s*q=([\d.]+)\s*$/.exec(p)?.[1]).find(Boolean)
      return { tag: tag.trim(), q: q === undefined ? 1 : Number(q), index }
    })
    .filter((l) => l.tag && l.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index)
    .map((l) => l.tag)
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
