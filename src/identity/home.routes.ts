import type { RequestHandler } from 'express'
import type { Deps } from '../app.js'
import { csrfToken } from '../http/csrf.js'
import { pageLocale } from '../http/page-locale.js'
import { noStore, sendPage } from '../http/pages.js'
import { homePage } from './home.pages.js'

/**
 * `/`: the store's home. Signed in (where activation lands), it lists the apps the person may
 * open (those with a launch URL: every app for a member, the granted ones for a guest) and, for
 * a native store, the install buttons.
 */
/** The apps a membership may open from the home (tokens/apps.ts: launchableApps). */
export type LaunchableApps = (
  tenantId: string,
  membership: { kind: 'member' | 'guest'; products: string[] },
) => Promise<{ name: string; launchUrl: string }[]>

export function homeRoute({ config }: Deps, launchable: LaunchableApps): RequestHandler[] {
  return [
    noStore,
    async (req, res) => {
      const tenant = res.locals.tenant
      const c = { tenantName: tenant.name, locale: pageLocale(req, res) }
      const session = res.locals.session
      if (!session) return sendPage(res, homePage(c))
      const apps = await launchable(tenant.id, session)
      const signedIn = {
        email: session.email,
        firstName: session.first_name,
        csrf: csrfToken(req, res, config.secretKey),
        apps,
        store: tenant.settings.store,
      }
      sendPage(res, homePage({ ...c, signedIn }))
    },
  ]
}
