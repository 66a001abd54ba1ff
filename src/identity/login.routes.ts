import { type Request, type Response, Router } from 'express'
import * as z from 'zod'
import type { Deps } from '../app.js'
import { AppError, type ErrorCode } from '../errors.js'
import { verifyCsrf } from '../http/csrf.js'
import type { PageContext } from '../http/layout.js'
import { PENDING_PAGES } from '../http/pending-step.js'
import { type FormContext, formContext, noStore, sendPage } from '../http/pages.js'
import { clientAddress, rateLimit, tenantKey } from '../http/rate-limit.js'
import { abortSignIn, continueTo, deferReturn, safeReturnTo } from '../http/return-to.js'
import {
  finishSession,
  requireSession,
  sessionCookieOf,
  sessionOf,
  setSessionCookie,
} from '../http/session-cookie.js'
import { addressKey } from './addresses.js'
import { t } from '../lib/i18n.js'
import { parse } from '../lib/validate.js'
import { consumeOrThrow, createLimiter } from '../security/limits.js'
import { logoutConfirmPage, messagePage } from './home.pages.js'
import { changePassword } from './login.js'
import {
  forgotPasswordPage,
  loginPage,
  passwordChangePage,
  resetPasswordPage,
} from './login.pages.js'
import { openPasswordReset, requestPasswordReset, resetPassword } from './password-reset.js'
import type { PasswordProblem } from './password-policy.js'
import { signIn, signInLimits } from './sign-in.js'

const Field = (max: number) => z.string().max(max).default('')
const LoginBody = z.object({ email: Field(1000), password: Field(1024), return_to: Field(2000) })
const NewPasswordBody = z.object({
  current_password: z.string().max(1024).optional(),
  password: Field(1024),
  password_confirm: z.string().max(1024).optional(),
})
const EmailBody = z.object({ email: Field(1000) })
type Problems = { problems?: PasswordProblem[]; mismatch?: boolean }

const isCode = (err: unknown, code: ErrorCode) => err instanceof AppError && err.code === code

/** Every reason a password was refused, when that is what `err` says. */
const passwordProblems = (err: unknown): PasswordProblem[] | undefined =>
  isCode(err, 'password_rejected')
    ? (err as AppError & { details: { problems: PasswordProblem[] } }).details.problems
    : undefined

export function loginRoutes({ config, db, hasher }: Deps): Router {
  const router = Router()
  const { secretKey } = config
  const csrf = verifyCsrf(secretKey)
  const limiter = (name: string, points: number, durationSeconds: number) =>
    createLimiter(db, { name, points, durationSeconds })
  const loginLimits = signInLimits(db)
  const forgotPerIp = rateLimit(limiter('forgot-ip', 10, 900))
  const forgotPerAddress = limiter('forgot-address', 5, 3600)
  const resetPerIp = rateLimit(limiter('reset-ip', 20, 600))

  router.get('/login', (req, res) => {
    const c = formContext(req, res, secretKey)
    const notice = req.query.reset === '1' ? t(c.locale, 'resetDone') : undefined
    const returnTo = safeReturnTo(req.query.return_to)
    // An app's sign-in survives the detour of a person who must first activate their account
    // or reset their password in this browser: they come back to it afterwards.
    deferReturn(res, returnTo)
    sendPage(res, loginPage({ ...c, returnTo, notice, cancel: abortSignIn(returnTo) }))
  })

  router.post('/login', csrf, async (req, res) => {
    const body = parse(LoginBody, req.body)
    const returnTo = safeReturnTo(body.return_to)
    const input = {
      email: body.email,
      password: body.password,
      clientKey: clientAddress(req),
      ip: req.ip,
      replaces: sessionCookieOf(req, res),
    }
    const result = await signIn(db, res.locals.tenant, input, { limits: loginLimits, hasher })
    if (!result.ok) {
      // The right password of a disabled account, during an app's sign-in: the app hears
      // access_denied (OpenID Connect), and shows it.
      const denied = result.reason === 'disabled' ? abortSignIn(returnTo, 'disabled') : undefined
      if (denied) return res.redirect(303, denied)
      const c = formContext(req, res, secretKey)
      const error = t(c.locale, result.reason)
      const page = loginPage({
        ...c,
        email: body.email,
        returnTo,
        error,
        cancel: abortSignIn(returnTo),
      })
      return sendPage(res, page, result.reason === 'refused' ? 401 : 403)
    }
    const started = result.session
    setSessionCookie(res, started)
    if (started.pending) {
      deferReturn(res, returnTo)
      return res.redirect(303, PENDING_PAGES[started.pending])
    }
    const remembered = continueTo(req, res)
    res.redirect(303, returnTo === '/' ? remembered : returnTo)
  })

  // A GET never signs out (a prefetch or an <img> would): it asks, and the form posts.
  router.get('/logout', noStore, (req, res) => {
    const c = formContext(req, res, secretKey)
    if (res.locals.session) return sendPage(res, logoutConfirmPage(c))
    const link = { href: '/login', label: t(c.locale, 'signIn') }
    const message = t(c.locale, 'signedOut')
    sendPage(res, messagePage({ ...c, title: t(c.locale, 'signOut'), message, link }))
  })

  router.post('/logout', csrf, async (req, res) => {
    await finishSession(req, res, db)
    const c = formContext(req, res, secretKey)
    const link = { href: '/login', label: t(c.locale, 'signIn') }
    sendPage(
      res,
      messagePage({ ...c, title: t(c.locale, 'signOut'), message: t(c.locale, 'signedOut'), link }),
    )
  })

  const changeForm = (req: Request, res: Response) => ({
    ...formContext(req, res, secretKey),
    policy: res.locals.tenant.settings.passwordPolicy,
    required: sessionOf(res).pending === 'password_change',
  })
  router.get('/password/change', requireSession, (req, res) => {
    sendPage(res, passwordChangePage(changeForm(req, res)))
  })
  router.post('/password/change', requireSession, csrf, async (req, res) => {
    const body = parse(NewPasswordBody, req.body)
    if (body.password !== body.password_confirm)
      return sendPage(res, passwordChangePage({ ...changeForm(req, res), mismatch: true }), 422)
    const input = { current: body.current_password, password: body.password }
    const result = await changePassword(db, res.locals.tenant, sessionOf(res), input, hasher)
    if (result.ok)
      return res.redirect(
        303,
        result.pending ? PENDING_PAGES[result.pending] : continueTo(req, res),
      )
    const refused =
      result.reason === 'wrong_current' ? { wrongCurrent: true } : { problems: result.problems }
    const status = result.reason === 'wrong_current' ? 401 : 422
    sendPage(res, passwordChangePage({ ...changeForm(req, res), ...refused }), status)
  })

  router.get('/forgot-password', (req, res) => {
    sendPage(res, forgotPasswordPage({ ...formContext(req, res, secretKey), sent: false }))
  })
  router.post('/forgot-password', csrf, forgotPerIp, async (req, res) => {
    const { email } = parse(EmailBody, req.body)
    // Per address too, or anyone could flood one inbox from many addresses.
    await consumeOrThrow(forgotPerAddress, tenantKey(res, addressKey(email)))
    await db
      .transaction()
      .execute((tx) => requestPasswordReset(tx, res.locals.tenant, email, { secretKey }))
    sendPage(res, forgotPasswordPage({ ...formContext(req, res, secretKey), sent: true }))
  })

  // Unknown, used, expired and replaced links all get this one page.
  const withLiveLink = async (res: Response, c: PageContext, work: () => Promise<void>) => {
    try {
      await work()
    } catch (err) {
      if (!isCode(err, 'invitation_invalid')) throw err
      const link = { href: '/forgot-password', label: t(c.locale, 'forgotTitle') }
      const message = t(c.locale, 'resetInvalid')
      sendPage(res, messagePage({ ...c, title: t(c.locale, 'invalidTitle'), message, link }), 400)
    }
  }
  const resetForm = async (
    res: Response,
    c: FormContext,
    token: string,
    extra: Problems,
    status = 200,
  ) => {
    const tenant = res.locals.tenant
    const { email } = await openPasswordReset(db, tenant, token)
    const policy = tenant.settings.passwordPolicy
    sendPage(res, resetPasswordPage({ ...c, token, email, policy, ...extra }), status)
  }

  router.get('/reset-password/:token', noStore, async (req, res) => {
    const c = formContext(req, res, secretKey)
    await withLiveLink(res, c, () => resetForm(res, c, String(req.params.token), {}))
  })
  router.post('/reset-password/:token', noStore, csrf, resetPerIp, async (req, res) => {
    const c = formContext(req, res, secretKey)
    const token = String(req.params.token)
    const { password, password_confirm } = parse(NewPasswordBody, req.body)
    await withLiveLink(res, c, async () => {
      if (password !== password_confirm) return resetForm(res, c, token, { mismatch: true }, 422)
      try {
        const tenant = res.locals.tenant
        await db
          .transaction()
          .execute((tx) => resetPassword(tx, tenant, { token, password }, hasher))
        res.redirect(303, '/login?reset=1')
      } catch (err) {
        const problems = passwordProblems(err)
        if (!problems) throw err
        await resetForm(res, c, token, { problems }, 422)
      }
    })
  })
  return router
}
