import { type Request, type Response, Router } from 'express'
import * as z from 'zod'
import type { Deps } from '../app.js'
import { verifyCsrf } from '../http/csrf.js'
import { pageLocale } from '../http/page-locale.js'
import { formContext, noStore, sendPage } from '../http/pages.js'
import { PENDING_PAGES } from '../http/pending-step.js'
import { rateLimit } from '../http/rate-limit.js'
import { continueTo } from '../http/return-to.js'
import { beginSession } from '../http/session-cookie.js'
import type { PasswordProblem } from '../identity/password-policy.js'
import { t } from '../lib/i18n.js'
import { parse } from '../lib/validate.js'
import { createLimiter } from '../security/limits.js'
import { ssoStartPath } from '../http/sso-start.js'
import { acceptInvitation, openInvitation } from './activation.js'
import { type ProfileField, type ProfileProblem, profileOf } from './profile-fields.js'
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
  // The profile fields the tenant asks for (profile-fields.ts checks them).
  firstName: z.string().max(1000).optional(),
  lastName: z.string().max(1000).optional(),
  phone: z.string().max(1000).optional(),
  jobTitle: z.string().max(1000).optional(),
})

type Outcome = {
  problems?: PasswordProblem[]
  mismatch?: boolean
  wrongPassword?: boolean
  /** What the person typed in the profile fields, shown again with what is wrong. */
  profile?: Record<string, unknown>
  profileProblems?: Partial<Record<ProfileField, ProfileProblem>>
}

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
  const invalid = (req: Request, res: Response) => {
    const c = { tenantName: res.locals.tenant.name, locale: pageLocale(req, res) }
    sendPage(res, invalidInvitationPage(c), 400)
  }

  /** The page for the invitation as it stands now; `outcome` is what a POST went wrong with. */
  const showInvitation = async (req: Request, res: Response, token: string, outcome?: Outcome) => {
    const tenant = res.locals.tenant
    const opened = await openInvitation(db, tenant, token)
    if (!opened) return invalid(req, res)
    const { invitation, hasPassword } = opened
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
    // Seed 001: invited into their company's directory, the person signs in there; that
    // sign-in accepts the invitation (the link stays usable until then).
    if (invitation.invitation_directory_id)
      return companySignIn(req, res, invitation.invitation_directory_id, invitation.id)
    if (hasPassword) {
      const error = outcome?.wrongPassword ? t(c.locale, 'refused') : undefined
      return sendPage(res, existingAccountPage({ ...c, error }), outcome ? 401 : 200)
    }
    const policy = tenant.settings.passwordPolicy
    const profile = {
      fields: tenant.settings.profileFields,
      values: outcome?.profile ?? profileOf(invitation),
      problems: outcome?.profileProblems ?? {},
    }
    sendPage(res, activationPage({ ...c, policy, ...outcome, profile }), outcome ? 422 : 200)
  }

  const companySignIn = (req: Request, res: Response, directoryId: string, invitationId: string) =>
    res.redirect(303, ssoStartPath(directoryId, { returnTo: continueTo(req, res), invitationId }))

  router.get('/invite/:token', noStore, async (req, res) => {
    await showInvitation(req, res, String(req.params.token))
  })

  router.post('/invite/:token', noStore, csrf, perIp, async (req, res) => {
    const token = String(req.params.token)
    const { password, password_confirm, ...profile } = parse(ActivateBody, req.body)
    // Checked before the claim: a typo must not spend the link.
    if (password_confirm !== undefined && password !== password_confirm)
      return showInvitation(req, res, token, { mismatch: true, profile })
    const input = { token, password, profile }
    const result = await db
      .transaction()
      .execute((tx) => acceptInvitation(tx, res.locals.tenant, input, hasher))
    if (!result.ok) {
      if (result.reason === 'invalid') return invalid(req, res)
      if (result.reason === 'company_sign_in')
        return companySignIn(req, res, result.directoryId, result.invitationId)
      const outcome =
        result.reason === 'wrong_password'
          ? { wrongPassword: true }
          : { problems: result.problems, profileProblems: result.profileProblems, profile }
      return showInvitation(req, res, token, outcome)
    }
    await beginSession(req, res, db, result.session)
    // Back to where the person was going (an app's sign-in in this browser), else home.
    const pending = result.session.pending
    res.redirect(303, pending ? PENDING_PAGES[pending] : continueTo(req, res))
  })
  return router
}
