import { type Request, type Response, Router } from 'express'
import * as z from 'zod'
import type { Deps } from '../app.js'
import { verifyCsrf } from '../http/csrf.js'
import { formContext, sendPage } from '../http/pages.js'
import { consumeOrThrow, createLimiter } from '../security/limits.js'
import { clientAddress, tenantKey } from '../http/rate-limit.js'
import { abortSignIn, deferReturn, safeReturnTo } from '../http/return-to.js'
import { messagePage } from '../identity/home.pages.js'
import { emailFirstPage, loginPage } from '../identity/login.pages.js'
import { t } from '../lib/i18n.js'
import { parse } from '../lib/validate.js'
import { ssoStartPath } from '../http/sso-start.js'
import { realmOf, type SignInRoute, signInRoute } from './home-realm.js'

const Field = (max: number) => z.string().max(max).default('')
// No password field: the email step of home-realm discovery.
const LoginBody = z.object({
  email: Field(1000),
  password: z.string().max(1024).optional(),
  return_to: Field(2000),
})

/**
 * /login, before the password login (identity/login.routes.ts): on a host bound to a company
 * directory, straight to its IdP; where a directory claims email domains, the email first.
 * Anything else passes through (`next()`), so a store without either keeps its login page.
 */
export function homeRealmRoutes({ config, db }: Deps): Router {
  const router = Router()
  const csrf = verifyCsrf(config.secretKey)
  // Every submission counts here (the step hashes nothing, the password step keeps its own
  // failure limits): generous enough for an office behind one address.
  const perIp = createLimiter(db, { name: 'login-email-ip', points: 300, durationSeconds: 600 })
  const routeOf = (res: Response) =>
    signInRoute(db, { tenant: res.locals.tenant, host: res.locals.host })

  const emailStep = (
    req: Request,
    res: Response,
    route: Extract<SignInRoute, { kind: 'discover' }>,
    extra: { returnTo: string; email?: string; error?: string; notice?: string },
  ) => {
    const c = formContext(req, res, config.secretKey)
    const companies = route.hasPasswords
      ? []
      : route.directories.map((d) => ({ name: d.name, href: ssoStartPath(d.id, extra) }))
    const page = emailFirstPage({
      ...c,
      ...extra,
      hasPasswords: route.hasPasswords,
      companies,
      cancel: abortSignIn(extra.returnTo),
    })
    sendPage(res, page, extra.error ? 422 : 200)
  }

  router.get('/login', async (req, res, next) => {
    const route = await routeOf(res)
    const returnTo = safeReturnTo(req.query.return_to)
    if (route.kind === 'password') return next()
    if (route.kind === 'directory')
      return res.redirect(303, ssoStartPath(route.directory.id, { returnTo }))
    deferReturn(res, returnTo)
    const c = formContext(req, res, config.secretKey)
    const notice = req.query.reset === '1' ? t(c.locale, 'resetDone') : undefined
    emailStep(req, res, route, { returnTo, ...(notice && { notice }) })
  })

  router.post('/login', csrf, async (req, res, next) => {
    const route = await routeOf(res)
    if (route.kind === 'password') return next()
    await consumeOrThrow(perIp, tenantKey(res, clientAddress(req)))
    const body = parse(LoginBody, req.body)
    const returnTo = safeReturnTo(body.return_to)
    if (route.kind === 'directory') {
      // No password is checked (nor counted) on a host whose sign-in is the company's.
      const c = formContext(req, res, config.secretKey)
      const { directory } = route
      const message = t(c.locale, 'ssoCompanyOnly', { name: directory.name })
      const href = ssoStartPath(directory.id, { returnTo })
      const link = { href, label: t(c.locale, 'ssoContinueWith', { name: directory.name }) }
      return sendPage(res, messagePage({ ...c, title: t(c.locale, 'signIn'), message, link }), 403)
    }
    // The domain alone decides, with or without a password: a company's address never reaches
    // the password form, so a password cannot stand in for the company's sign-in.
    const directory = realmOf(route, body.email)
    if (directory) return res.redirect(303, ssoStartPath(directory.id, { returnTo }))
    if (!route.hasPasswords) {
      const c = formContext(req, res, config.secretKey)
      const error = t(c.locale, 'ssoNoDirectory')
      return emailStep(req, res, route, { returnTo, email: body.email, error })
    }
    if (body.password !== undefined) return next()
    const c = formContext(req, res, config.secretKey)
    const otherEmail = `/login${returnTo === '/' ? '' : `?return_to=${encodeURIComponent(returnTo)}`}`
    const page = loginPage({
      ...c,
      email: body.email,
      returnTo,
      cancel: abortSignIn(returnTo),
      otherEmail,
    })
    sendPage(res, page)
  })
  return router
}
