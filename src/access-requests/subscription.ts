import { recordAudit } from '../audit/audit.js'
import type { Db } from '../db/database.js'
import { AppError } from '../errors.js'
import type { Tenant } from '../tenants/tenants.js'
import * as queries from './access-requests.queries.js'
import { verifyUnsubscribe } from './unsubscribe-link.js'

/** Whose subscription an admin API call may read or change: the signed-in admin's own. */
export type Subscriber = { kind: string; tenantId: string | null; membershipId?: string }

const NOT_AN_ADMIN =
  'Only an admin of this store, signed in to its console, has an access-request subscription.'

async function ownMembership(db: Db, tenant: Tenant, who: Subscriber): Promise<string> {
  const id = who.kind === 'session' && who.tenantId === tenant.id ? who.membershipId : undefined
  const membership = id ? await queries.findAdminMembership(db, tenant.id, id) : undefined
  if (!membership || membership.role !== 'admin') throw new AppError('forbidden', NOT_AN_ADMIN)
  return membership.id
}

export async function getSubscription(db: Db, tenant: Tenant, who: Subscriber) {
  const membershipId = await ownMembership(db, tenant, who)
  return { subscribed: !(await queries.isUnsubscribed(db, tenant.id, membershipId)) }
}

export async function setSubscription(
  db: Db,
  tenant: Tenant,
  who: Subscriber,
  subscribed: boolean,
) {
  const membershipId = await ownMembership(db, tenant, who)
  if (subscribed) await queries.resubscribe(db, tenant.id, membershipId)
  else await queries.unsubscribe(db, tenant.id, membershipId)
  return { subscribed, membershipId }
}

const INVALID_LINK = 'This unsubscribe link is not valid. Change your notifications in the console.'

/** The admin a signed unsubscribe link names; the one "invalid link" error otherwise. */
export function checkUnsubscribeLink(secretKey: string, tenant: Tenant, query: object): string {
  const membershipId = verifyUnsubscribe(secretKey, tenant.id, query)
  if (!membershipId) throw new AppError('invitation_invalid', INVALID_LINK)
  return membershipId
}

/** RFC 8058 one-click: the signed link alone unsubscribes (no cookie, no CSRF token). */
export async function unsubscribeByLink(
  db: Db,
  tenant: Tenant,
  input: { query: object; secretKey: string; ip?: string | undefined },
): Promise<void> {
  const membershipId = checkUnsubscribeLink(input.secretKey, tenant, input.query)
  // A membership removed since the mail: nothing left to unsubscribe, and the answer is the same.
  if (!(await queries.findAdminMembership(db, tenant.id, membershipId))) return
  await queries.unsubscribe(db, tenant.id, membershipId)
  await recordAudit(db, {
    tenantId: tenant.id,
    actor: { kind: 'person', id: membershipId },
    action: 'access_request.unsubscribed',
    subject: { kind: 'membership', id: membershipId },
    ip: input.ip,
  })
}
