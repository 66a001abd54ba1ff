import type { Db } from '../db/database.js'
import type { Tenant } from '../tenants/tenants.js'
import { accountClaims, mayUseApp } from './accounts.js'
import { getApp } from './apps.js'

/** What the provider's open sign-in asks (the parts of its interaction details we read). */
export type OpenSignIn = {
  uid: string
  /** When the provider began it (seconds). */
  iat: number | undefined
  reasons: string[]
  clientId: string
  scope: string
  grantId: string | undefined
}

/** The gateway session of the browser, if any (the parts we read). */
export type BrowserSession = { user_id: string; created_at: Date; amr: string[] }

export type InteractionOutcome =
  /**
   * The login page first, then back here; `endSession`: the session is too old for the app;
   * `fresh`: the app asked for a fresh sign-in (prompt=login, max_age), so a company IdP must
   * not answer from its own session either.
   */
  | { kind: 'login'; endSession: boolean; fresh: boolean }
  | { kind: 'deny'; description: string }
  | {
      kind: 'finish'
      login: { accountId: string; ts: number; amr: string[] }
      /** The first-party grant to top up for the app. */
      consent: { accountId: string; clientId: string; scope: string; grantId: string | undefined }
    }

const MAY_NOT_USE = 'This account may not use this app.'
const DISABLED = 'Access to this store is disabled for this account.'
const CANCELLED = 'The person cancelled the sign-in.'

/**
 * The provider sends the browser to its interaction when it needs a signed-in user: the
 * gateway's session answers, or the login page does first. A session older than the app's
 * `prompt=login` or `max_age` demand is ended and the person signs in again.
 */
export async function decideInteraction(
  db: Db,
  input: { tenant: Tenant; signIn: OpenSignIn; session: BrowserSession | undefined },
): Promise<InteractionOutcome> {
  const { tenant, signIn, session } = input
  const fresh = signIn.reasons.includes('login_prompt') || signIn.reasons.includes('max_age')
  if (!session) return { kind: 'login', endSession: false, fresh }
  const sessionStart = Math.floor(session.created_at.getTime() / 1000)
  if (fresh && session.created_at.getTime() / 1000 < (signIn.iat ?? 0))
    return { kind: 'login', endSession: true, fresh }
  const app = await getApp(db, tenant.id, signIn.clientId)
  const account = await accountClaims(db, tenant, session.user_id)
  if (!account || !mayUseApp(account.membership, app))
    return { kind: 'deny', description: MAY_NOT_USE }
  return {
    kind: 'finish',
    login: { accountId: session.user_id, ts: sessionStart, amr: session.amr },
    consent: {
      accountId: session.user_id,
      clientId: signIn.clientId,
      scope: signIn.scope,
      grantId: signIn.grantId,
    },
  }
}

/**
 * The app's sign-in ends with access_denied: the person cancelled it, or their access is
 * disabled (the login form found out). Only the browser's own open sign-in (its interaction
 * cookie names it) can be ended: another uid is gone.
 */
export function decideAbort(input: {
  signIn: Pick<OpenSignIn, 'uid'>
  uid: string
  reason: 'disabled' | 'cancelled'
}): { kind: 'gone' } | { kind: 'deny'; description: string } {
  if (input.signIn.uid !== input.uid) return { kind: 'gone' }
  return { kind: 'deny', description: input.reason === 'disabled' ? DISABLED : CANCELLED }
}
