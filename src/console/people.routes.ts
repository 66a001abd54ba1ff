import { type Request, type Response, Router } from 'express'
import type { Deps } from '../app.js'
import { sendPage } from '../http/pages.js'
import { requireSession } from '../http/session-cookie.js'
import { requireMember } from '../members/members.js'
import { adminPageContext } from '../http/console-context.js'
import { type PeoplePage, peoplePage } from './people.pages.js'

/**
 * The console's people pages: /admin/members, /admin/members/:id, /admin/guests, /admin/groups.
 * The same doors as console.routes.ts: signed out, the store's sign-in; not an admin, 403; a
 * member id that is not one of this store's, the gateway's 404 (never a hint it exists elsewhere).
 */
export function peopleRoutes({ config, db }: Deps): Router {
  const router = Router()
  const show = (page: PeoplePage) => async (req: Request, res: Response, next: () => void) => {
    const c = await adminPageContext(req, res, { config, db })
    if (!c) return
    let memberId: string | undefined
    if (page === 'member') {
      const id = String(req.params['id'])
      const found = await requireMember(db, res.locals.tenant.id, id).catch(() => undefined)
      if (!found) return next()
      memberId = found.id
    }
    sendPage(res, peoplePage(c, page, memberId))
  }
  router.get('/admin/members', requireSession, show('members'))
  router.get('/admin/members/:id', requireSession, show('member'))
  router.get('/admin/guests', requireSession, show('guests'))
  router.get('/admin/groups', requireSession, show('groups'))
  return router
}
