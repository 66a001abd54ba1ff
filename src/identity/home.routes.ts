import type { RequestHandler } from 'express'
import type { Deps } from '../app.js'
import { csrfToken } from '../http/csrf.js'
import { pageLocale } from '../http/page-locale.js'
import { noStore, sendPage } from '../http/pages.js'
import { homePage } from './home.pages.js'

/** `/`: the store's start page; signed in, it names the account and offers to sign out. */
export function homeRoute({ config }: Deps): RequestHandler[] {
  return [
    noStore,
    (req, res) => {
      const c = { tenantName: res.locals.tenant.name, locale: pageLocale(req, res) }
      const session = res.locals.session
      const signedIn = session && {
        email: session.email,
        csrf: csrfToken(req, res, config.secretKey),
      }
      sendPage(res, homePage({ ...c, ...signedIn }))
    },
  ]
}
