import { type Request, type Response, Router } from 'express'
import * as z from 'zod'
import type { Deps } from '../app.js'
import { verifyCsrf } from '../http/csrf.js'
import { createLimiter, rateLimit } from '../http/rate-limit.js'
import {
  beginSession,
  continueTo,
  formContext,
  noStore,
  PENDING_PAGES,
  pageLocale,
  sendPage,
} from '../http/session.js'
import { openSession } from '../identity/login.js'
import { isCode, passwordProblems } from '../identity/login.routes.js'
import type { PasswordProblem } from '../identity/password-policy.js'
import { t } from '../lib/i18n.js'
import { parse } from '../lib/validate.js'
import { acceptInvitation, openInvitation } from './activation.js'
import {
  activationPage,
  existingAccountPage,
  installPage,
  invalidInvitationPage,
  type Platform,
} from './activation.pages.js'

const ActivateBody = z.object({
  password: z.string().max(1024).default(''),
  // Absent on the "log in with your password" form of someone the directory already knows.
  password_confirm: z.string().max(1024).optional(),
})

type Outcome = { problems?: PasswordProblem[]; mismatch?: boolean; wrongPassword?: boolean }

const platformOf = (userAgent = ''): Platform =>
  /iPhone|iPad|iPod/i.test(userAgent) ? 'ios' : /Android/i.test(userAgent) ? 'android' : 'unknown'

/** /invite/:token: the link from the invitation mail. */
export function activationRoutes({ config, db, hasher }: Deps): Router {
  const router = Router()
  const { secretKey } = config
  const csrf = verifyCsrf(secretKey)
  const perIp = rateLimit(
    createLimiter(db, { name: 'invite-ip', points: 20, durationSeconds: 600 }),
  )

  // Unknown, used, revoked and expired links, or a link of another store: one page, one status.
  const withLiveInvitation = async (req: Request, res: Response, work: () => Promise<void>) => {
    try {
      await work()
    } catch (err) {
      if (!isCode(err, 'invitation_invalid')) throw err
      const c = { tenantName: res.locals.tenant.name, locale: pageLocale(req, res) }
      sendPage(res, invalidInvitationPage(c), 400)
    }
  }

  /** The page for the invitation as it stands now; `outcome` is what a POST went wrong with. */
  const showInvitation = async (req: Request, res: Response, token: string, outcome?: Outcome) => {
    const tenant = res.locals.tenant
    const { invitation, hasPassword } = await openInvitation(db, tenant, token)
    const c = {
      ...formContext(req, res, secretKey, invitation.locale),
      token,
      email: invitation.email,
      firstName: invitation.first_name,
    }
    const store = tenant.settings.store
    if (store.kind === 'native' && !outcome && req.query.continue !== '1') {
      const platform = platformOf(req.get('user-agent'))
      return sendPage(res, installPage({ ...c, ...store, platform }))
    }
    if (hasPassword) {
      const error = outcome?.wrongPassword ? t(c.locale, 'refused') : undefined
      return sendPage(res, existingAccountPage({ ...c, error }), outcome ? 401 : 200)
    }
    const policy = tenant.settings.passwordPolicy
    sendPage(res, activationPage({ ...c, policy, ...outcome }), outcome ? 422 : 200)
  }

  router.get('/invite/:token', noStore, async (req, res) => {
    await withLiveInvitation(req, res, () => showInvitation(req, res, String(req.params.token)))
  })

  router.post('/invite/:token', noStore, csrf, perIp, async (req, res) => {
    const tenant = res.locals.tenant
    const token = String(req.params.token)
    const { password, password_confirm } = parse(ActivateBody, req.body)
    await withLiveInvitation(req, res, async () => {
      // Checked before the claim: a typo must not spend the link.
      if (password_confirm !== undefined && password !== password_confirm)
        return showInvitation(req, res, token, { mismatch: true })
      let accepted
      try {
        accepted = await acceptInvitation(db, tenant, { token, password }, hasher)
      } catch (err) {
        const problems = passwordProblems(err)
        if (problems) return showInvitation(req, res, token, { problems })
        if (isCode(err, 'unauthorized'))
          return showInvitation(req, res, token, { wrongPassword: true })
        throw err
      }
      // The new session may still owe the Terms, or a stronger password when an existing one
      // (set for another store of the directory) is below this store's policy.
      const started = await openSession(db, tenant, { ...accepted, password })
      await beginSession(req, res, db, started)
      // Back to where the person was going (an app's sign-in in this browser), else home.
      res.redirect(303, started.pending ? PENDING_PAGES[started.pending] : continueTo(req, res))
    })
  })
  return router
}
