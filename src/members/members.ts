import * as z from 'zod'
import type { Db, Tx } from '../db/database.js'
import { AppError } from '../errors.js'
import { RoleName } from '../identity/roles.js'
import { updateUserFields } from '../identity/memberships.js'
import { Locale } from '../lib/locales.js'
import { parse } from '../lib/validate.js'
import type { Tenant } from '../tenants/tenants.js'
import * as q from './members.queries.js'
import { checkGrant } from './rules.js'

// What an admin does to a member after they joined: edit, disable and enable, remove, convert
// a guest. Each runs in the caller's transaction with the membership locked first, so an edit
// racing a removal either lands before it or finds nothing (404), never brings it back.

const Text = (max: number) => z.string().trim().min(1).max(max).nullable().optional()
const Label = z.string().trim().min(1).max(100)

export const MemberPatch = z.strictObject({
  firstName: Text(100),
  lastName: Text(100),
  phone: Text(40),
  jobTitle: Text(100),
  locale: Locale.nullable().optional(),
  role: RoleName.optional(),
  groups: z.array(Label).max(100).optional(),
  products: z.array(Label).max(100).optional(),
  organization: Text(200),
})
export type MemberPatch = z.input<typeof MemberPatch>

/** Who acts: an API key has no membership; a console admin's own one refuses self-harm. */
export type MemberActor = { membershipId?: string; isPlatform: boolean }

const notFound = () => new AppError('not_found', 'There is no such member in this store.')

async function lock(tx: Tx, tenantId: string, id: string) {
  const membership = z.uuid().safeParse(id).success
    ? await q.lockMembership(tx, tenantId, id)
    : undefined
  if (!membership) throw notFound()
  return membership
}

/**
 * Locks the tenant's active admins (in id order), then the membership: every change that could
 * take an admin away takes the locks in the same order, so two demotions at once queue rather
 * than deadlock, and the second sees the first's result.
 */
async function lockWithAdmins(tx: Tx, tenantId: string, id: string) {
  const admins = await q.lockActiveAdmins(tx, tenantId)
  return { admins, membership: await lock(tx, tenantId, id) }
}

/**
 * The tenant keeps an active admin: the change that would take the last one away (demotion,
 * disabling, removal) is refused, and so is an admin doing it to themselves.
 */
function keepAnAdmin(
  admins: string[],
  membership: { id: string; role: string; status: string },
  actor: MemberActor,
  what: string,
) {
  if (membership.role !== 'admin' || membership.status !== 'active') return
  if (actor.membershipId === membership.id)
    throw new AppError('conflict', `You cannot ${what} yourself; ask another admin.`)
  if (admins.filter((a) => a !== membership.id).length === 0)
    throw new AppError('conflict', `This is the store's last admin: you cannot ${what} them.`)
}

export async function updateMember(
  tx: Tx,
  tenant: Tenant,
  input: { id: string; patch: unknown; actor: MemberActor },
  now = new Date(),
) {
  const patch = parse(MemberPatch, input.patch)
  const demotes = patch.role !== undefined && patch.role !== 'admin'
  const { admins, membership } = demotes
    ? await lockWithAdmins(tx, tenant.id, input.id)
    : { admins: [], membership: await lock(tx, tenant.id, input.id) }

  const grantFields = ['role', 'groups', 'products', 'organization'] as const
  if (grantFields.some((f) => patch[f] !== undefined)) {
    if (demotes) keepAnAdmin(admins, membership, input.actor, 'remove the admin role of')
    const checked = await checkGrant(tx, tenant, {
      role: patch.role ?? membership.role,
      groups: patch.groups ?? membership.groups,
      products: patch.products ?? membership.products,
      organization: patch.organization !== undefined ? patch.organization : membership.organization,
    })
    if (!checked.ok)
      throw new AppError('invalid_request', checked.reason, {
        details: { fields: { [checked.field]: [checked.reason] }, form: [] },
      })
    await q.updateMembershipRow(tx, tenant.id, membership.id, checked.grant, now)
  }

  const profile = {
    ...(patch.firstName !== undefined && { first_name: patch.firstName }),
    ...(patch.lastName !== undefined && { last_name: patch.lastName }),
    ...(patch.phone !== undefined && { phone: patch.phone }),
    ...(patch.jobTitle !== undefined && { job_title: patch.jobTitle }),
    ...(patch.locale !== undefined && { locale: patch.locale }),
  }
  if (Object.keys(profile).length > 0) {
    // DESIGN.md: a shared directory's identities are the platform's to change, not one store's.
    const shared = (await q.countTenantsOfDirectory(tx, membership.directory_id)) > 1
    if (shared && !input.actor.isPlatform)
      throw new AppError(
        'forbidden',
        'This person’s account is shared with other stores: only a platform admin changes their profile.',
      )
    await updateUserFields(tx, membership.directory_id, membership.user_id, profile, now)
  }
  return requireMember(tx, tenant.id, membership.id)
}

/** Disabled at once: sessions and the provider's grants and tokens at this tenant end too. */
export async function disableMember(
  tx: Tx,
  tenant: Tenant,
  input: { id: string; actor: MemberActor },
  now = new Date(),
) {
  const { admins, membership } = await lockWithAdmins(tx, tenant.id, input.id)
  if (membership.status === 'invited')
    throw new AppError('conflict', 'This person has not joined yet: revoke the invitation instead.')
  if (membership.status === 'active') {
    keepAnAdmin(admins, membership, input.actor, 'disable')
    await q.updateMembershipRow(tx, tenant.id, membership.id, { status: 'disabled' }, now)
  }
  await q.endAccessAtTenant(tx, tenant.id, membership)
  return requireMember(tx, tenant.id, membership.id)
}

export async function enableMember(
  tx: Tx,
  tenant: Tenant,
  input: { id: string },
  now = new Date(),
) {
  const membership = await lock(tx, tenant.id, input.id)
  if (membership.status === 'disabled')
    await q.updateMembershipRow(tx, tenant.id, membership.id, { status: 'active' }, now)
  return requireMember(tx, tenant.id, membership.id)
}

/** Out of the tenant: membership, sessions, grants; the identity too once no tenant has it. */
export async function removeMember(
  tx: Tx,
  tenant: Tenant,
  input: { id: string; actor: MemberActor },
) {
  const { admins, membership } = await lockWithAdmins(tx, tenant.id, input.id)
  keepAnAdmin(admins, membership, input.actor, 'remove')
  const member = await requireMember(tx, tenant.id, membership.id)
  await q.endAccessAtTenant(tx, tenant.id, membership)
  const { identityDeleted } = await q.deleteMembershipAndOrphan(tx, tenant.id, membership)
  return { member, identityDeleted }
}

/** Seed 002: "if a guest is converted to a user, they will be automatically transformed". */
export async function convertGuest(
  tx: Tx,
  tenant: Tenant,
  input: { id: string },
  now = new Date(),
) {
  const membership = await lock(tx, tenant.id, input.id)
  if (membership.kind !== 'guest')
    throw new AppError('conflict', 'This person is a member already.')
  await q.updateMembershipRow(tx, tenant.id, membership.id, { kind: 'member' }, now)
  return requireMember(tx, tenant.id, membership.id)
}

export async function requireMember(db: Db, tenantId: string, id: string) {
  const row = z.uuid().safeParse(id).success ? await q.findMember(db, tenantId, id) : undefined
  if (!row) throw notFound()
  return row
}

/** One member with every field, and their last sign-in (kept on the membership). */
export async function getMember(db: Db, tenantId: string, id: string) {
  const { last_sign_in_at: lastSignInAt, ...row } = await requireMember(db, tenantId, id)
  return { row, lastSignInAt }
}
