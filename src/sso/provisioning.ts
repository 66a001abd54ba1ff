import type { Tx } from '../db/database.js'
import { normalizeEmail } from '../identity/addresses.js'
import {
  activateMembership,
  claimUnlinkedUser,
  findMembershipOf,
  findUserByEmailKey,
  findUserBySubject,
  insertMembership,
  insertUserIfFree,
  type Membership,
  updateMembershipAccess,
  updateMembershipGrant,
  updateUserProfile,
  type User,
} from '../identity/memberships.js'
import {
  claimDirectoryInvitation,
  type DirectoryInvitation,
  pendingDirectoryInvitation,
  usableDirectoryInvitation,
} from '../invitations/directory-invitations.js'
import type { Tenant } from '../tenants/tenants.js'
import type { EnterpriseDirectory, GroupMapping } from './connection.js'

/** What a company's IdP asserted about the person, read from a verified assertion or ID token. */
export type IdpProfile = {
  /** SAML NameID or OIDC `sub`: with the directory, the identity's key. */
  subject: string
  email: string
  /**
   * `false` when the IdP says it did not verify the address (OIDC `email_verified: false`): such
   * an address never accepts an invitation. Absent: the IdP's signed word for it (SAML).
   */
  emailVerified?: boolean | undefined
  firstName?: string | undefined
  lastName?: string | undefined
  groups: string[]
  /** RFC 8176 values: what the IdP said (OIDC `amr`), else `['ext']`-like defaults per protocol. */
  amr: string[]
}

/**
 * disabled: an admin turned the member off; email_taken: another identity of the directory has
 * the address; invitation_other: the sign-in was started for an invitation meant for someone
 * else; invitation_invalid: that invitation is expired, revoked, accepted or unknown.
 */
export type ProvisionRefusal =
  'disabled' | 'email_taken' | 'bad_email' | 'invitation_other' | 'invitation_invalid'

export type Provisioned =
  | { ok: true; userId: string; membershipId: string; created: boolean; invitationId?: string }
  | { ok: false; reason: ProvisionRefusal }

type Access = { role: string; groups: string[] }

/**
 * Role and groups from the IdP's groups. The mapping owns the roles and groups it names: those
 * follow the IdP at every sign-in (given while the person is in a mapped IdP group, taken away
 * once they are not); whatever else the member has (an invitation's, an admin's) stays. The
 * tenant's default groups (Everybody) are always kept; the first mapped entry with a role sets
 * the role.
 */
export function mapAccess(
  mapping: GroupMapping,
  idpGroups: string[],
  current: Access,
  defaults: Access,
): Access {
  const hits = mapping.filter((m) => idpGroups.includes(m.idpGroup))
  const ownedGroups = new Set(mapping.flatMap((m) => m.groups))
  const ownedRoles = new Set(mapping.flatMap((m) => (m.role ? [m.role] : [])))
  const kept = ownedRoles.has(current.role) ? defaults.role : current.role
  const role = hits.find((m) => m.role)?.role ?? kept
  const groups = [
    ...new Set([
      ...defaults.groups,
      ...current.groups.filter((g) => !ownedGroups.has(g)),
      ...hits.flatMap((m) => m.groups),
    ]),
  ]
  return { role, groups }
}

/** The identity's columns as the IdP describes the person; undefined for an unusable email. */
export function personOf(profile: IdpProfile) {
  const address = normalizeEmail(profile.email)
  if (!address.ok) return undefined
  return {
    email: address.email,
    email_key: address.key,
    first_name: profile.firstName?.slice(0, 100) || null,
    last_name: profile.lastName?.slice(0, 100) || null,
    subject: profile.subject,
  }
}

/** The role and groups of an existing member after this sign-in (mapAccess, tenant defaults). */
export const refreshedAccess = (
  tenant: Tenant,
  directory: EnterpriseDirectory,
  groups: string[],
  current: Access,
): Access =>
  mapAccess(directory.config.groupMapping, groups, current, {
    role: 'user',
    groups: tenant.settings.defaultGroups,
  })

type Input = {
  tenant: Tenant
  directory: EnterpriseDirectory
  profile: IdpProfile
  /** The invitation this sign-in was started for (its link: /invite/:token). */
  invitationId?: string | undefined
}

/**
 * The person's identity in the enterprise directory, made at their first sign-in and refreshed
 * at every one after it, with a membership of the tenant. Keyed by (directory, subject). The
 * one link by email is the one an admin made: an invitation into this directory whose address
 * the IdP vouches for. An email that matches any other identity (a custom-database account, an
 * identity of this or another directory) never links to it. The caller rolls back a refusal.
 */
export async function provisionEnterpriseUser(
  tx: Tx,
  input: Input,
  now = new Date(),
): Promise<Provisioned> {
  const { tenant, directory, profile } = input
  const person = personOf(profile)
  if (!person) return { ok: false, reason: 'bad_email' }
  const scope = { tenantId: tenant.id, directoryId: directory.id }

  const known = await findUserBySubject(tx, directory.id, profile.subject)
  // An invitation's placeholder: made for this address in this directory, no subject yet.
  const unclaimed =
    known || profile.emailVerified === false
      ? undefined
      : await findUserByEmailKey(tx, directory.id, person.email_key)
  const claimable = unclaimed?.subject === null ? unclaimed : undefined
  const user = known ?? claimable
  const invitation = user
    ? await pendingDirectoryInvitation(tx, { ...scope, userId: user.id }, now)
    : undefined
  if (input.invitationId) {
    const named = await usableDirectoryInvitation(
      tx,
      { ...scope, invitationId: input.invitationId },
      now,
    )
    if (!named) return { ok: false, reason: 'invitation_invalid' }
    if (named.id !== invitation?.id) return { ok: false, reason: 'invitation_other' }
  }

  if (user) {
    // Guarded: of two sign-ins racing for an invitation's identity one claims it; the other is
    // the same person (found by subject now) or someone else (refused).
    const linked = known ?? (await claimUnlinkedUser(tx, directory.id, user.id, profile.subject))
    const claimed = linked ?? (await findUserBySubject(tx, directory.id, profile.subject))
    if (!claimed || !(await updateUserProfile(tx, directory.id, claimed.id, person, now)))
      return { ok: false, reason: 'email_taken' }
    return grantAccess(tx, { ...input, user: claimed, invitation, created: false }, now)
  }
  const inserted = await insertUserIfFree(tx, { directory_id: directory.id, ...person })
  // Refused on the subject: a concurrent first sign-in of the same person made it; theirs it is.
  const raced = inserted ? undefined : await findUserBySubject(tx, directory.id, profile.subject)
  const made = inserted ?? raced
  if (!made) return { ok: false, reason: 'email_taken' }
  return grantAccess(tx, { ...input, user: made, invitation: undefined, created: !!inserted }, now)
}

/** The membership of the tenant: made, accepted from the invitation, or refreshed. */
async function grantAccess(
  tx: Tx,
  input: Input & { user: User; invitation: DirectoryInvitation | undefined; created: boolean },
  now: Date,
): Promise<Provisioned> {
  const { tenant, directory, profile, user, invitation, created } = input
  const mapping = directory.config.groupMapping
  const defaults = { role: 'user', groups: tenant.settings.defaultGroups }
  const done = (membership: Pick<Membership, 'id'>, invitationId?: string): Provisioned => ({
    ok: true,
    userId: user.id,
    membershipId: membership.id,
    created,
    ...(invitationId && { invitationId }),
  })

  const membership = await findMembershipOf(tx, tenant.id, user.id)
  if (!membership) {
    const access = mapAccess(mapping, profile.groups, defaults, defaults)
    const added = await insertMembership(tx, {
      tenant_id: tenant.id,
      directory_id: directory.id,
      user_id: user.id,
      role: access.role,
      groups: JSON.stringify(access.groups),
      status: 'active',
      activated_at: now,
    })
    return done(added)
  }
  // An admin's "disabled" outlives whatever the IdP says.
  if (membership.status === 'disabled') return { ok: false, reason: 'disabled' }
  const scope = { tenantId: tenant.id, membershipId: membership.id }
  if (membership.status === 'invited') {
    if (invitation?.membership_id === membership.id) {
      const claimed = await claimDirectoryInvitation(
        tx,
        { tenantId: tenant.id, invitationId: invitation.id },
        now,
      )
      if (!claimed) return { ok: false, reason: 'invitation_invalid' }
      await activateMembership(tx, scope, now)
      // The invitation's grant (role, groups, products, organization), plus what the mapping owns.
      await updateMembershipAccess(
        tx,
        tenant.id,
        membership.id,
        mapAccess(mapping, profile.groups, membership, defaults),
        now,
      )
      return done(membership, invitation.id)
    }
    // Its invitation expired or was revoked: just-in-time access, as if none had been made.
    const access = mapAccess(mapping, profile.groups, defaults, defaults)
    const grant = { kind: 'member' as const, ...access, products: [], organization: null }
    await updateMembershipGrant(tx, tenant.id, membership.id, grant, now)
    await activateMembership(tx, scope, now)
    return done(membership)
  }
  const access = refreshedAccess(tenant, directory, profile.groups, membership)
  await updateMembershipAccess(tx, tenant.id, membership.id, access, now)
  return done(membership)
}
