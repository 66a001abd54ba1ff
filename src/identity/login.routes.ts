import { type Request, type Response, Router } from 'express'
import * as z from 'zod'
import type { Deps } from '../app.js'
import { AppError, type ErrorCode } from '../errors.js'
import { verifyCsrf } from '../http/csrf.js'
import {
  clientAddress,
  consumeOrThrow,
  countFailure,
  createLimiter,
  rateLimit,
  refuseWhenExhausted,
  reward,
  tenantKey,
} from '../http/rate-limit.js'
import {
  abortSignIn,
  beginSession,
  continueTo,
  deferReturn,
  finishSession,
  formContext,
  noStore,
  PENDING_PAGES,
  requireSession,
  safeReturnTo,
  sendPage,
  sessionOf,
} from '../http/session.js'
import { addressKey, normalizeEmail } from './addresses.js'
import { t } from '../lib/i18n.js'
import { parse } from '../lib/validate.js'
import { databaseDirectoryOf } from '../tenants/tenants.js'
import { messagePage, type PageContext } from './home.pages.js'
import { changePassword, logIn } from './login.js'
import {
  forgotPasswordPage,
  loginPage,
  passwordChangePage,
  resetPasswordPage,
} from './login.pages.js'
import { openPasswordReset, requestPasswordReset, resetPassword } from './password-reset.js'
import type { PasswordProblem } from './password-policy.js'

const Field = (max: number) => z.string().max(max).default('')
const LoginBody = z.object({ email: Field(1000), password: Field(1024), return_to: Field(2000) })
const NewPasswordBody = z.object({
  current_password: z.string().max(1024).optional(),
  password: Field(1024),
  password_confirm: z.string().max(1024).optional(),
})
const EmailBody = z.object({ email: Field(1000) })
type Context = ReturnType<typeof formContext>
type Problems = { problems?: PasswordProblem[]; mismatch?: boolean }

export const isCode = (err: unknown, code: ErrorCode) =>
  err instanceof AppError && err.code === code

/** Every reason a password was refused, when that is what `err` says. */
export const passwordProblems = (err: unknown): PasswordProblem[] | undefined =>
  isCode(err, 'password_rejected')
    ? (err as AppError & { details: { problems: PasswordProblem[] } }).details.problems
    : undefined

export function loginRoutes({ config, db, hasher }: Deps): Router {
  const router = Router()
  const { secretKey } = config
  const csrf = verifyCsrf(secretKey)
  const limiter = (name: string, points: number, durationSeconds: number) =>
    createLimiter(db, { name, points, durationSeconds })
  // Failures only, per IP and per account: an office behind one address can still sign in.
  const loginPerIp = limiter('login-ip', 30, 600)
  // Keyed by directory and address, existing or not: the limit itself reveals no account.
  const loginPerAccount = limiter('login-account', 10, 900)
  // The backoff's second step: past 50 failures in a day an account waits out the day. (After
  // 100 consecutive failures credentials.ts locks it for 24 h or until a reset, as NIST allows.)
  const loginPerAccountDaily = limiter('login-account-day', 50, 86_400)
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
    const tenant = res.locals.tenant
    const body = parse(LoginBody, req.body)
    const returnTo = safeReturnTo(body.return_to)
    const directoryId = tenant.databaseDirectoryId ?? (await databaseDirectoryOf(db, tenant.id)).id
    const address = normalizeEmail(body.email)
    const account = `${directoryId}:${address.ok ? address.key : body.email.trim().toLowerCase()}`
    const ip = tenantKey(res, clientAddress(req))
    // A blocked IP or account costs no password hashing; only failures are counted.
    const [, accountCounted] = await refuseWhenExhausted(db, [
      [loginPerIp, ip],
      [loginPerAccount, account],
      [loginPerAccountDaily, account],
    ])
    let started
    try {
      started = await logIn(db, tenant, body, hasher)
    } catch (err) {
      if (!isCode(err, 'unauthorized') && !isCode(err, 'forbidden')) throw err
      await Promise.all([
        countFailure(loginPerIp, ip),
        countFailure(loginPerAccount, account),
        countFailure(loginPerAccountDaily, account),
      ])
      // The right password of a disabled account, during an app's sign-in: the app hears
      // access_denied (OpenID Connect), and shows it.
      const denied = isCode(err, 'forbidden') ? abortSignIn(returnTo, 'disabled') : undefined
      if (denied) return res.redirect(303, denied)
      const c = formContext(req, res, secretKey)
      const refused = isCode(err, 'unauthorized')
      const error = t(c.locale, refused ? 'refused' : 'disabled')
      return sendPage(
        res,
        loginPage({ ...c, email: body.email, returnTo, error, cancel: abortSignIn(returnTo) }),
        refused ? 401 : 403,
      )
    }
    if (accountCounted) await reward(loginPerAccount, account)
    await beginSession(req, res, db, started)
    if (started.pending) {
      deferReturn(res, returnTo)
      return res.redirect(303, PENDING_PAGES[started.pending])
    }
    const remembered = continueTo(req, res)
    res.redirect(303, returnTo === '/' ? remembered : returnTo)
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
    try {
      const tenant = res.locals.tenant
      const input = { current: body.current_password, password: body.password }
      const pending = await changePassword(db, tenant, sessionOf(res), input, hasher)
      res.redirect(303, pending ? PENDING_PAGES[pending] : continueTo(req, res))
    } catch (err) {
      if (isCode(err, 'unauthorized')) {
        return sendPage(
          res,
          passwordChangePage({ ...changeForm(req, res), wrongCurrent: true }),
          401,
        )
      }
      const problems = passwordProblems(err)
      if (!problems) throw err
      sendPage(res, passwordChangePage({ ...changeForm(req, res), problems }), 422)
    }
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
    c: Context,
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
