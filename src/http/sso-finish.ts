import type { Request, Response } from 'express'
import type { Deps } from '../app.js'
import { messagePage } from '../identity/home.pages.js'
import { t } from '../lib/i18n.js'
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

export function refuseSsoSignIn(
  req: Request,
  res: Response,
  input: {
    directory?: Pick<EnterpriseDirectory, 'id' | 'kind'>
    refusal: SsoRefusal
    status?: number
  },
): void {
  const { directory, refusal } = input
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
  const message =
    refusal.reason === 'disabled'
      ? t(locale, 'disabled')
      : refusal.reason === 'email_taken'
        ? t(locale, 'ssoEmailTaken')
        : refusal.reason === 'invitation_other'
          ? t(locale, 'ssoInvitationOther')
          : t(locale, 'ssoFailed')
  const link = { href: '/login', label: t(locale, 'ssoTryAgain') }
  res
    .status(input.status ?? 400)
    .set({ 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer' })
    .type('html')
    .send(messagePage({ ...c, title: t(locale, 'ssoFailedTitle'), message, link }).value)
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
  const result = await signInWithDirectory(deps.db, { tenant, directory, profile })
  if (!result.ok) {
    // A disabled member during an app's sign-in: the app hears access_denied, as with passwords.
    const denied = result.reason === 'disabled' ? abortSignIn(returnTo, 'disabled') : undefined
    if (denied) {
      res.locals.log.warn(
        { event: 'sso_refused', tenant: tenant.slug, directory: directory.id, reason: 'disabled' },
        'enterprise sign-in refused',
      )
      return res.redirect(303, denied)
    }
    return refuseSsoSignIn(req, res, { directory, refusal: { reason: result.reason }, status: 403 })
  }
  res.locals.log.info(
    {
      event: 'sso_signed_in',
      tenant: tenant.slug,
      directory: directory.id,
      protocol: directory.kind,
      user: result.userId,
      created: result.created,
    },
    'enterprise sign-in',
  )
  await beginSession(req, res, deps.db, result.session)
  if (result.session.pending) {
    deferReturn(res, returnTo)
    return res.redirect(303, PENDING_PAGES[result.session.pending])
  }
  res.redirect(303, returnTo)
}
