import type { Tx } from '../db/database.js'
import {
  findMembershipOf,
  findUserBySubject,
  insertMembership,
  insertUserIfFree,
  updateMembershipAccess,
  updateUserProfile,
} from '../identity/memberships.js'
import { normalizeEmail } from '../identity/addresses.js'
import type { Tenant } from '../tenants/tenants.js'
import type { EnterpriseDirectory, GroupMapping } from './connection.js'

/** What a company's IdP asserted about the person, read from a verified assertion or ID token. */
export type IdpProfile = {
  /** SAML NameID or OIDC `sub`: with the directory, the identity's key. */
  subject: string
  email: string
  firstName?: string | undefined
  lastName?: string | undefined
  groups: string[]
  /** RFC 8176 values: what the IdP said (OIDC `amr`), else `['ext']`-like defaults per protocol. */
  amr: string[]
}

export type Provisioned =
  | { ok: true; userId: string; membershipId: string; created: boolean }
  /** disabled: an admin turned the member off; email_taken: another identity of the directory has it. */
  | { ok: false; reason: 'disabled' | 'email_taken' | 'bad_email' }

/** Role and groups from the IdP's groups: the tenant's default groups plus every mapped one. */
export function mapAccess(
  mapping: GroupMapping,
  idpGroups: string[],
  defaults: { role: string; groups: string[] },
): { role: string; groups: string[] } {
  const hits = mapping.filter((m) => idpGroups.includes(m.idpGroup))
  const role = hits.find((m) => m.role)?.role ?? defaults.role
  const groups = [...new Set([...defaults.groups, ...hits.flatMap((m) => m.groups)])]
  return { role, groups }
}

/**
 * The person's identity in the enterprise directory, made at their first sign-in and refreshed
 * at every one after it, with a membership of the tenant. Keyed by (directory, subject): an
 * email that matches another identity (of this directory or any other) never links to it.
 */
export async function provisionEnterpriseUser(
  tx: Tx,
  input: { tenant: Tenant; directory: EnterpriseDirectory; profile: IdpProfile },
  now = new Date(),
): Promise<Provisioned> {
  const { tenant, directory, profile } = input
  const address = normalizeEmail(profile.email)
  if (!address.ok) return { ok: false, reason: 'bad_email' }
  const person = {
    email: address.email,
    email_key: address.key,
    first_name: profile.firstName?.slice(0, 100) || null,
    last_name: profile.lastName?.slice(0, 100) || null,
    subject: profile.subject,
  }
  const hasRoleMapping = directory.config.groupMapping.some((m) => m.role)
  const defaults = { role: 'user', groups: tenant.settings.defaultGroups }

  const known = await findUserBySubject(tx, directory.id, profile.subject)
  if (!known) {
    const user = await insertUserIfFree(tx, { directory_id: directory.id, ...person })
    if (!user) return { ok: false, reason: 'email_taken' }
    const access = mapAccess(directory.config.groupMapping, profile.groups, defaults)
    const membership = await insertMembership(tx, {
      tenant_id: tenant.id,
      directory_id: directory.id,
      user_id: user.id,
      role: access.role,
      groups: JSON.stringify(access.groups),
      status: 'active',
      activated_at: now,
    })
    return { ok: true, userId: user.id, membershipId: membership.id, created: true }
  }

  if (!(await updateUserProfile(tx, directory.id, known.id, person, now)))
    return { ok: false, reason: 'email_taken' }
  const membership = await findMembershipOf(tx, tenant.id, known.id)
  if (!membership) {
    // The directory's identity, new to this tenant (a directory may serve several).
    const access = mapAccess(directory.config.groupMapping, profile.groups, defaults)
    const added = await insertMembership(tx, {
      tenant_id: tenant.id,
      directory_id: directory.id,
      user_id: known.id,
      role: access.role,
      groups: JSON.stringify(access.groups),
      status: 'active',
      activated_at: now,
    })
    return { ok: true, userId: known.id, membershipId: added.id, created: false }
  }
  // An admin's "disabled" outlives whatever the IdP says.
  if (membership.status === 'disabled') return { ok: false, reason: 'disabled' }
  const access = mapAccess(directory.config.groupMapping, profile.groups, {
    role: hasRoleMapping ? defaults.role : membership.role,
    groups: defaults.groups,
  })
  await updateMembershipAccess(tx, tenant.id, membership.id, access, now)
  return { ok: true, userId: known.id, membershipId: membership.id, created: false }
}
