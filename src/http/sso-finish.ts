import type { Request, Response } from 'express'
import type { Deps } from '../app.js'
import { recordAudit } from '../audit/audit.js'
import type { Db } from '../db/database.js'
import { messagePage } from '../identity/home.pages.js'
import { type MessageKey, t } from '../lib/i18n.js'
import type { EnterpriseDirectory, SsoStart } from '../sso/connection.js'
import type { IdpProfile } from '../sso/provisioning.js'
import { signInWithDirectory } from '../sso/sign-in.js'
import { pageLocale } from './page-locale.js'
import { PENDING_PAGES } from './pending-step.js'
import { abortSignIn, deferReturn, safeReturnTo } from './return-to.js'
import { beginSession } from './session-cookie.js'

// The last step of every enterprise sign-in (SAML ACS, OIDC callback), whatever the protocol:
// the session and the way on, or one clean page in the store's language and a security event.

/** Why an enterprise sign-in was refused, as the log names it (never shown to the person). */
export type SsoRefusal = { reason: string; detail?: string }

export async function refuseSsoSignIn(
  req: Request,
  res: Response,
  db: Db,
  input: {
    directory?: Pick<EnterpriseDirectory, 'id' | 'kind'>
    refusal: SsoRefusal
    status?: number
  },
): Promise<void> {
  const { directory, refusal } = input
  // The audit log names refusals of a real connection; a POST to a directory that does not
  // exist is only logged (anyone can send one: no row per request of a stranger).
  if (directory)
    await recordSsoEvent(req, res, db, 'sign_in.sso_refused', directory, {
      reason: refusal.reason,
    })
  res.locals.log.warn(
    {
      event: 'sso_refused',
      tenant: res.locals.tenant.slug,
      directory: directory?.id,
      protocol: directory?.kind,
      reason: refusal.reason,
      detail: refusal.detail,
    },
    'enterprise sign-in refused',
  )
  const locale = pageLocale(req, res)
  const c = { tenantName: res.locals.tenant.name, locale }
  // An invitation that can no longer be used: the page every dead invitation link gets.
  const page =
    refusal.reason === 'invitation_invalid'
      ? { title: t(locale, 'invalidTitle'), message: t(locale, 'inviteInvalid') }
      : {
          title: t(locale, 'ssoFailedTitle'),
          message: t(locale, messageOf(refusal.reason)),
        }
  const link =
    refusal.reason === 'invitation_invalid'
      ? undefined
      : { href: '/login', label: t(locale, 'ssoTryAgain') }
  res
    .status(input.status ?? 400)
    .set({ 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer' })
    .type('html')
    .send(messagePage({ ...c, ...page, ...(link && { link }) }).value)
}

/**
 * An enterprise sign-in in the audit log. The refusal's detail stays out of it (it can carry the
 * IdP's text); the security log line has it.
 */
function recordSsoEvent(
  req: Request,
  res: Response,
  db: Db,
  action: string,
  directory: Pick<EnterpriseDirectory, 'id' | 'kind'>,
  details: Record<string, unknown>,
  person?: { id: string; email: string },
) {
  return recordAudit(db, {
    tenantId: res.locals.tenant.id,
    actor: person ? { kind: 'person', id: person.id, name: person.email } : { kind: 'anonymous' },
    action,
    subject: person
      ? { kind: 'member', id: person.id, label: person.email }
      : { kind: 'directory', id: directory.id },
    ip: req.ip,
    details: { method: directory.kind, directoryId: directory.id, ...details },
  })
}

/** What the person reads; every reason not named here: "could not be completed". */
function messageOf(reason: string): MessageKey {
  if (reason === 'disabled') return 'disabled'
  if (reason === 'email_taken') return 'ssoEmailTaken'
  if (reason === 'invitation_other') return 'ssoInvitationOther'
  return 'ssoFailed'
}

/** The IdP vouched for `profile`: sign the person in and send them on (or refuse, cleanly). */
export async function completeSsoSignIn(
  req: Request,
  res: Response,
  deps: Pick<Deps, 'db'>,
  input: { directory: EnterpriseDirectory; profile: IdpProfile; start: SsoStart },
): Promise<void> {
  const { directory, profile } = input
  const tenant = res.locals.tenant
  const returnTo = safeReturnTo(input.start.returnTo)
  const { invitationId } = input.start
  const result = await signInWithDirectory(deps.db, { tenant, directory, profile, invitationId })
  if (!result.ok) {
    // A disabled member during an app's sign-in: the app hears access_denied, as with passwords.
    const denied = result.reason === 'disabled' ? abortSignIn(returnTo, 'disabled') : undefined
    if (denied) {
      res.locals.log.warn(
        { event: 'sso_refused', tenant: tenant.slug, directory: directory.id, reason: 'disabled' },
        'enterprise sign-in refused',
      )
      await recordSsoEvent(req, res, deps.db, 'sign_in.sso_refused', directory, {
        reason: 'disabled',
      })
      return res.redirect(303, denied)
    }
    return refuseSsoSignIn(req, res, deps.db, {
      directory,
      refusal: { reason: result.reason },
      status: 403,
    })
  }
  res.locals.log.info(
    {
      event: 'sso_signed_in',
      tenant: tenant.slug,
      directory: directory.id,
      protocol: directory.kind,
      user: result.userId,
      created: result.created,
      invitation: result.invitationId,
    },
    'enterprise sign-in',
  )
  await recordSsoEvent(
    req,
    res,
    deps.db,
    'sign_in.succeeded',
    directory,
    { created: result.created, ...(result.invitationId && { invitationId: result.invitationId }) },
    { id: result.membershipId, email: profile.email },
  )
  await beginSession(req, res, deps.db, result.session)
  if (result.session.pending) {
    deferReturn(res, returnTo)
    return res.redirect(303, PENDING_PAGES[result.session.pending])
  }
  res.redirect(303, returnTo)
}
