import { Router } from 'express'
import type { Deps } from '../app.js'
import { adminPageContext } from '../http/console-context.js'
import { sendPage } from '../http/pages.js'
import { requireSession } from '../http/session-cookie.js'
import { accessRequestsPage } from './access-requests.pages.js'

/** /admin/access-requests: the same doors as console.routes.ts (sign-in, then admins only). */
export function accessRequestsConsoleRoutes({ config, db }: Deps): Router {
  const router = Router()
  router.get('/admin/access-requests', requireSession, async (req, res) => {
    const c = await adminPageContext(req, res, { config, db })
    if (!c) return
    sendPage(res, accessRequestsPage(c))
  })
  return router
}
