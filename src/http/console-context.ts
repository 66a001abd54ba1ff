import type { Request, Response } from 'express'
import type { Deps } from '../app.js'
import { csrfToken } from './csrf.js'
import { pageLocale } from './page-locale.js'
import { sendPage } from './pages.js'
import { sessionOf } from './session-cookie.js'
import { isAdminSession } from '../console/admins.js'
import { type ConsoleContext, forbiddenPage } from '../console/console.pages.js'
import { consoleCsrfToken } from '../console/csrf.js'
import { isPlatformTenant } from '../console/platform.js'

/**
 * What every console page needs of the request, once the signed-in person is known to be one of
 * the store's admins; anyone else gets the 403 page here (and `undefined`). Behind requireSession.
 */
export async function adminPageContext(
  req: Request,
  res: Response,
  { config, db }: Pick<Deps, 'config' | 'db'>,
): Promise<ConsoleContext | undefined> {
  const session = sessionOf(res)
  const locale = pageLocale(req, res)
  const tenant = res.locals.tenant
  const formCsrf = csrfToken(req, res, config.secretKey)
  if (!isAdminSession(session)) {
    const page = forbiddenPage({ tenantName: tenant.name, locale, email: session.email, formCsrf })
    sendPage(res, page, 403)
    return undefined
  }
  return {
    tenantName: tenant.name,
    tenantSlug: tenant.slug,
    locale,
    email: session.email,
    platform: await isPlatformTenant(db, tenant.id),
    apiCsrf: consoleCsrfToken(config.secretKey, session.idHash),
    formCsrf,
  }
}
