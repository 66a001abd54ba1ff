import { Router } from 'express'
import type { Deps } from '../app.js'
import { sendPage } from '../http/pages.js'
import { requireSession } from '../http/session-cookie.js'
import { adminPageContext } from '../http/console-context.js'
import { consolePage, sectionsOf } from './console.pages.js'

/**
 * `/admin` and `/admin/:section` on a store's host: signed out, the store's own sign-in (which
 * comes back here); signed in without the admin role, a 403 page; an admin, the console.
 */
export function consoleRoutes({ config, db }: Deps): Router {
  const router = Router()
  router.get('/admin', requireSession, (_req, res) => res.redirect(303, '/admin/users'))
  router.get('/admin/:section', requireSession, async (req, res, next) => {
    const c = await adminPageContext(req, res, { config, db })
    if (!c) return
    // An unknown section falls through to the gateway's 404 page.
    const section = sectionsOf(c).find((s) => s === req.params.section)
    if (!section) return next()
    sendPage(res, consolePage(c, section))
  })
  return router
}
