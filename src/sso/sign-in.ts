import type { Db } from '../db/database.js'
import type { SessionPending } from '../db/schema.js'
import {
  findEnterpriseMember,
  refreshUserNames,
  updateMembershipAccess,
} from '../identity/memberships.js'
import { startSession } from '../identity/sessions.js'
import { owesTerms, termsOwed } from '../identity/terms.js'
import type { Tenant } from '../tenants/tenants.js'
import type { EnterpriseDirectory } from './connection.js'
import {
  type IdpProfile,
  type ProvisionRefusal,
  personOf,
  provisionEnterpriseUser,
  refreshedAccess,
} from './provisioning.js'

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

type SignInInput = {
  tenant: Tenant
  directory: EnterpriseDirectory
  profile: IdpProfile
  invitationId?: string | undefined
}

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
  input: SignInInput,
  now = new Date(),
): Promise<EnterpriseSignIn> {
  const repeat = await signInKnownMember(db, input, now)
  if (repeat) return repeat
  try {
    return await db.transaction().execute(async (tx) => {
      const provisioned = await provisionEnterpriseUser(tx, input, now)
      if (!provisioned.ok) throw new Refused(provisioned.reason)
      const { tenant, profile } = input
      const { membershipId } = provisioned
      const pending = (await termsOwed(tx, tenant, membershipId)) ? 'terms' : null
      const amr = amrOf(profile)
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

const amrOf = (profile: IdpProfile) => (profile.amr.length > 0 ? profile.amr : ['ext'])
const sameList = (a: string[], b: string[]) =>
  a.length === b.length && a.every((x, i) => x === b[i])

/**
 * The ordinary sign-in, in one read and one write: a person the directory knows by subject,
 * an active member of the tenant, the same email key, no invitation named. It decides what
 * provisionEnterpriseUser would (the profile and the mapped access refreshed, nothing else
 * touched) and writes only what changed; the session is written always. `undefined` for every
 * other case (first sign-in, an invitation, a disabled or invited member, a new address), which
 * the full provisioning transaction handles, refusals included.
 */
async function signInKnownMember(
  db: Db,
  input: SignInInput,
  now: Date,
): Promise<EnterpriseSignIn | undefined> {
  const { tenant, directory, profile } = input
  const person = personOf(profile)
  if (input.invitationId || !person) return undefined
  const known = await findEnterpriseMember(db, {
    tenantId: tenant.id,
    directoryId: directory.id,
    subject: profile.subject,
  })
  // A changed email key may be another identity's: updateUserProfile checks, in the transaction.
  if (known?.membership.status !== 'active' || known.user.email_key !== person.email_key)
    return undefined
  const { user, membership } = known
  const access = refreshedAccess(tenant, directory, profile.groups, membership)
  const names = { email: person.email, first_name: person.first_name, last_name: person.last_name }
  const namesChanged =
    user.email !== names.email ||
    user.first_name !== names.first_name ||
    user.last_name !== names.last_name
  const accessChanged =
    access.role !== membership.role || !sameList(access.groups, membership.groups)
  const pending: SessionPending | null = owesTerms(tenant, known.terms) ? 'terms' : null
  const session = { tenantId: tenant.id, membershipId: membership.id, pending, amr: amrOf(profile) }
  // A member disabled between the read and the write gets a session no request accepts:
  // sessions are read with their membership, and only an active one's (sessions.queries.ts).
  const started =
    namesChanged || accessChanged
      ? await db.transaction().execute(async (tx) => {
          if (namesChanged) await refreshUserNames(tx, directory.id, user.id, names, now)
          if (accessChanged) await updateMembershipAccess(tx, tenant.id, membership.id, access, now)
          return startSession(tx, session, now)
        })
      : await startSession(db, session, now)
  return {
    ok: true,
    session: { ...started, pending },
    userId: user.id,
    membershipId: membership.id,
    created: false,
  }
}
