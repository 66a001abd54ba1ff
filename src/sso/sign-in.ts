import type { Db } from '../db/database.js'
import type { SessionPending } from '../db/schema.js'
import { startSession } from '../identity/sessions.js'
import { termsOwed } from '../identity/terms.js'
import type { Tenant } from '../tenants/tenants.js'
import type { EnterpriseDirectory } from './connection.js'
import { type IdpProfile, provisionEnterpriseUser } from './provisioning.js'

export type EnterpriseSignIn =
  | {
      ok: true
      session: { token: string; expiresAt: Date; pending: SessionPending | null }
      userId: string
      created: boolean
    }
  | { ok: false; reason: 'disabled' | 'email_taken' | 'bad_email' }

/**
 * The person a company's IdP vouched for, signed in to the tenant: their identity made or
 * refreshed and a gateway session started (with the Terms still owed, if any), in one
 * transaction, so a refused sign-in leaves no user and no session behind.
 */
export function signInWithDirectory(
  db: Db,
  input: { tenant: Tenant; directory: EnterpriseDirectory; profile: IdpProfile },
  now = new Date(),
): Promise<EnterpriseSignIn> {
  return db.transaction().execute(async (tx) => {
    const provisioned = await provisionEnterpriseUser(tx, input, now)
    if (!provisioned.ok) return provisioned
    const { tenant, profile } = input
    const pending = (await termsOwed(tx, tenant, provisioned.membershipId)) ? 'terms' : null
    const session = await startSession(
      tx,
      { tenantId: tenant.id, membershipId: provisioned.membershipId, pending, amr: profile.amr },
      now,
    )
    return {
      ok: true,
      session: { ...session, pending },
      userId: provisioned.userId,
      created: provisioned.created,
    }
  })
}
