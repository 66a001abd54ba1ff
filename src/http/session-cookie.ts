import type { Request, RequestHandler, Response } from 'express'
import type { Db } from '../db/database.js'
import { AppError } from '../errors.js'
import { endSession, findSession, type Session } from '../identity/sessions.js'
import { clearCookie, hostCookieName, readCookie, setCookie } from './cookies.js'

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
const cookieName = (res: Response) => hostCookieName(res, COOKIE)

/** The session token the browser sent to `tenant`'s host, read before tenant resolution runs. */
export const sessionTokenOf = (req: Request, tenant: { publicUrl: string }) =>
  readCookie(req, tenant.publicUrl.startsWith('https:') ? `__Host-${COOKIE}` : COOKIE)

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
 * Sets the cookie of a session just started. The browser's previous session is deleted, so a
 * token planted before login (session fixation) or left on a shared computer never survives it.
 */
export async function beginSession(
  req: Request,
  res: Response,
  db: Db,
  started: { token: string; expiresAt: Date },
): Promise<void> {
  await endSession(db, res.locals.tenant.id, sessionCookieOf(req, res))
  setSessionCookie(res, started)
}

/** The session token the browser sent to this tenant's host (its session, or a planted one). */
export const sessionCookieOf = (req: Request, res: Response) => readCookie(req, cookieName(res))

/**
 * The cookie of a session just started by a sign-in that has already ended the browser's
 * previous session itself (identity/sign-in.ts, in its one write), as beginSession does.
 */
export function setSessionCookie(res: Response, started: { token: string; expiresAt: Date }) {
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
