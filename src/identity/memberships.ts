import type { Tx } from '../db/database.js'
import * as queries from './users.queries.js'
import type { Membership, NewUser, User } from './users.queries.js'

// Users and memberships as other features (invitations, later SSO provisioning) change them:
// the one door into identity's tables from outside the feature.
export {
  claimUnlinkedUser,
  findEnterpriseMember,
  findMembershipOf,
  findUser,
  findUserByEmailKey,
  findUserBySubject,
  insertUserIfFree,
  insertMembership,
  refreshUserNames,
  updateMembershipAccess,
  updateMembershipGrant,
  updateUserFields,
  updateUserProfile,
  type Membership,
  type User,
} from './users.queries.js'

export type MembershipGrant = {
  kind: Membership['kind']
  role: string
  groups: string[]
  products: string[]
  organization: string | null
}

export type InvitedMember =
  | { ok: true; user: User; membership: Membership; created: boolean }
  /** Active or disabled already: an invitation changes nothing for them. */
  | { ok: false; reason: 'already_member'; user: User }

/**
 * The person in the directory (created unless the directory knows the address) with an
 * invited membership of the tenant under this grant: a new one, or the grant replaced on one
 * still invited. One transaction, so a failed invitation leaves no half-made member.
 */
export async function inviteMember(
  tx: Tx,
  input: {
    tenantId: string
    person: NewUser
    grant: MembershipGrant
  },
  now = new Date(),
): Promise<InvitedMember> {
  const { tenantId, person, grant } = input
  const { user } = await queries.upsertUser(tx, person)
  const existing = await queries.findMembershipOf(tx, tenantId, user.id)
  if (existing && existing.status !== 'invited')
    return { ok: false, reason: 'already_member', user }
  if (existing) {
    await queries.updateMembershipGrant(tx, tenantId, existing.id, grant, now)
    return { ok: true, user, membership: existing, created: false }
  }
  const membership = await queries.insertMembership(tx, {
    tenant_id: tenantId,
    directory_id: person.directory_id,
    user_id: user.id,
    ...grant,
    groups: JSON.stringify(grant.groups),
    products: JSON.stringify(grant.products),
  })
  return { ok: true, user, membership, created: true }
}

/** invited -> active, once: a second activation (a lost race) returns undefined. */
export function activateMembership(
  tx: Tx,
  input: { tenantId: string; membershipId: string },
  now = new Date(),
): Promise<Membership | undefined> {
  return queries.activateMembership(tx, input.tenantId, input.membershipId, now)
}
