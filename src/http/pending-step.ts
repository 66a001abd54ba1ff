import type { RequestHandler } from 'express'
import type { SessionPending } from '../db/schema.js'
import { deferReturn } from './return-to.js'

/** Where a session that still owes a step must go before anything else. */
export const PENDING_PAGES = {
  password_change: '/password/change',
  terms: '/terms',
} as const satisfies Record<SessionPending, string>

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
