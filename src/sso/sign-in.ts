import type { Db } from '../db/database.js'
import type { SessionPending } from '../db/schema.js'
import { startSession } from '../identity/sessions.js'
import { termsOwed } from '../identity/terms.js'
import type { Tenant } from '../tenants/tenants.js'
import type { EnterpriseDirectory } from './connection.js'
import { type IdpProfile, type ProvisionRefusal, provisionEnterpriseUser } from './provisioning.js'

export type EnterpriseSignIn =
  | {
      ok: true
      session: { token: string; expiresAt: Date; pending: SessionPending | null }
      userId: string
      membershipId: string
      created: boolean
      /** The invitation this sign-in accepted, if any. */
      invitationId?: string
    }
  | { ok: false; reason: ProvisionRefusal }

// Thrown inside the transaction so that a refusal rolls back whatever provisioning wrote.
class Refused extends Error {
  readonly reason: ProvisionRefusal
  constructor(reason: ProvisionRefusal) {
    super(reason)
    this.reason = reason
  }
}

/**
 * The person a company's IdP vouched for, signed in to the tenant: their identity made or
 * refreshed and a gateway session started (with the Terms still owed, if any), in one
 * transaction, so a refused sign-in leaves no user, no membership change and no session behind.
 * The session's `amr` is what the IdP said: it reaches the tokens of the tenant's apps.
 */
export async function signInWithDirectory(
  db: Db,
  input: {
    tenant: Tenant
    directory: EnterpriseDirectory
    profile: IdpProfile
    invitationId?: string | undefined
  },
  now = new Date(),
): Promise<EnterpriseSignIn> {
  try {
    return await db.transaction().execute(async (tx) => {
      const provisioned = await provisionEnterpriseUser(tx, input, now)
      if (!provisioned.ok) throw new Refused(provisioned.reason)
      const { tenant, profile } = input
      const { membershipId } = provisioned
      const pending = (await termsOwed(tx, tenant, membershipId)) ? 'terms' : null
      const amr = profile.amr.length > 0 ? profile.amr : ['ext']
      const session = await startSession(
        tx,
        { tenantId: tenant.id, membershipId, pending, amr },
        now,
      )
      return {
        ok: true as const,
        session: { ...session, pending },
        userId: provisioned.userId,
        membershipId,
        created: provisioned.created,
        ...(provisioned.invitationId && { invitationId: provisioned.invitationId }),
      }
    })
  } catch (err) {
    if (err instanceof Refused) return { ok: false, reason: err.reason }
    throw err
  }
}
