import { type Request, type Response, Router } from 'express'
import type { Deps } from '../app.js'
import { csrfToken } from '../http/csrf.js'
import { pageLocale } from '../http/page-locale.js'
import { sendPage } from '../http/pages.js'
import { requireSession, sessionOf } from '../http/session-cookie.js'
import { requireMember } from '../members/members.js'
import { isAdminSession } from './admins.js'
import { consoleCsrfToken } from './csrf.js'
import { forbiddenPage } from './console.pages.js'
import { type PeoplePage, peoplePage } from './people.pages.js'
import { isPlatformTenant } from './platform.js'

/**
 * The console's people pages: /admin/members, /admin/members/:id, /admin/guests, /admin/groups.
 * The same doors as console.routes.ts: signed out, the store's sign-in; not an admin, 403; a
 * member id that is not one of this store's, the gateway's 404 (never a hint it exists elsewhere).
 */
export function peopleRoutes({ config, db }: Deps): Router {
  const router = Router()
  const show = (page: PeoplePage) => async (req: Request, res: Response, next: () => void) => {
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
    let memberId: string | undefined
    if (page === 'member') {
      const id = String(req.params['id'])
      const found = await requireMember(db, tenant.id, id).catch(() => undefined)
      if (!found) return next()
      memberId = found.id
    }
    const c = {
      tenantName: tenant.name,
      tenantSlug: tenant.slug,
      locale,
      email: session.email,
      platform: await isPlatformTenant(db, tenant.id),
      apiCsrf: consoleCsrfToken(config.secretKey, session.idHash),
      formCsrf,
    }
    sendPage(res, peoplePage(c, page, memberId))
  }
  router.get('/admin/members', requireSession, show('members'))
  router.get('/admin/members/:id', requireSession, show('member'))
  router.get('/admin/guests', requireSession, show('guests'))
  router.get('/admin/groups', requireSession, show('groups'))
  return router
}
