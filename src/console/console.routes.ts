import { Router } from 'express'
import type { Deps } from '../app.js'
import { csrfToken } from '../http/csrf.js'
import { pageLocale } from '../http/page-locale.js'
import { sendPage } from '../http/pages.js'
import { requireSession, sessionOf } from '../http/session-cookie.js'
import { isAdminSession } from './admins.js'
import { consoleCsrfToken } from './csrf.js'
import { consolePage, forbiddenPage, sectionsOf } from './console.pages.js'
import { isPlatformTenant } from './platform.js'

/**
 * `/admin` and `/admin/:section` on a store's host: signed out, the store's own sign-in (which
 * comes back here); signed in without the admin role, a 403 page; an admin, the console.
 */
export function consoleRoutes({ config, db }: Deps): Router {
  const router = Router()
  router.get('/admin', requireSession, (_req, res) => res.redirect(303, '/admin/users'))
  router.get('/admin/:section', requireSession, async (req, res, next) => {
    const session = sessionOf(res)
    const locale = pageLocale(req, res)
    const tenant = res.locals.tenant
    const formCsrf = csrfToken(req, res, config.secretKey)
    if (!isAdminSession(session))
      return sendPage(
        res,
        forbiddenPage({ tenantName: tenant.name, locale, email: session.email, formCsrf }),
        403,
      )
    const c = {
      tenantName: tenant.name,
      tenantSlug: tenant.slug,
      locale,
      email: session.email,
      platform: await isPlatformTenant(db, tenant.id),
      apiCsrf: consoleCsrfToken(config.secretKey, session.idHash),
      formCsrf,
    }
    // An unknown section falls through to the gateway's 404 page.
    const section = sectionsOf(c).find((s) => s === req.params.section)
    if (!section) return next()
    sendPage(res, consolePage(c, section))
  })
  return router
}
