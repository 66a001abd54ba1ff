import type { Tx } from '../db/database.js'
import { AppError } from '../errors.js'
import { invitationLink } from '../invitations/invitation-mail.js'
import { inviteOne } from '../invitations/invitations.js'
import { durationMs } from '../lib/duration.js'
import { isMailAddress } from '../lib/mail-address.js'
import { seal } from '../lib/seal.js'
import { hashToken, newToken } from '../lib/tokens.js'
import { sealMailSecret } from '../mail/outbox.js'
import { isLocale } from '../mail/templates.js'
import { type MemberActor, removeMember, updateMember } from '../members/members.js'
import type { Tenant } from '../tenants/tenants.js'
import type { Catalogue } from './grant.js'
import * as q from './imports.queries.js'
import { type ImportRow, readRow, type StagedData } from './row.js'

// One chunk of staged rows, applied with a handful of set-based statements in the caller's
// transaction (which also marks the rows done). The rare row that needs a rule of its own
// (a removal, a demoted admin, an expired invitation) goes through the members and
// invitations domain functions inside a savepoint, so its refusal undoes only itself.

export const OUTCOMES = [
  'invited',
  'created',
  'updated',
  'unchanged',
  'already_invited',
  'reinvited',
  'deleted',
  'not_found',
  'duplicate',
  'invalid',
] as const
export type Outcome = (typeof OUTCOMES)[number]
export type RowOutcome = { line: number; outcome: Outcome; reason: string | null }

export type ChunkContext = {
  tenant: Tenant
  directoryId: string
  catalogue: Catalogue
  isDirectoryShared: boolean
  hasGroupColumns: boolean
  actor: MemberActor
  invitedBy: string | null
  secretKey: string
  now: Date
}

/** The chunk's set-based writes met a row written meanwhile: the caller retries row by row. */
export class ChunkConflict extends Error {
  override readonly name = 'ChunkConflict'
}

const SHARED_PROFILE =
  'This person’s account is shared with other stores: only a platform admin changes their profile.'
const PROFILE_KEYS = [
  'first_name',
  'last_name',
  'phone',
  'job_title',
  'external_id',
  'locale',
] as const

type NewPerson = {
  line: number
  row: ImportRow
  kind: string
  grant: q.NewMembershipRow
  userId?: string
  userLocale?: string | null
}

export async function applyRows(
  tx: Tx,
  ctx: ChunkContext,
  staged: q.PendingRow[],
): Promise<RowOutcome[]> {
  const out: RowOutcome[] = []
  const done = (line: number, outcome: Outcome, reason: string | null = null) =>
    out.push({ line, outcome, reason })

  const valid: { line: number; row: ImportRow }[] = []
  for (const s of staged) {
    if (s.first_line !== null)
      done(s.line, 'duplicate', `This address is on line ${s.first_line} already.`)
    else {
      const check = readRow((s.data ?? {}) as StagedData, ctx.hasGroupColumns)
      if (!check.ok) done(s.line, 'invalid', check.reason)
      else if (!isMailAddress(check.row.email))
        done(s.line, 'invalid', 'This email address cannot receive mail.')
      else valid.push({ line: s.line, row: check.row })
    }
  }
  const people = await q.findPeople(tx, {
    tenantId: ctx.tenant.id,
    directoryId: ctx.directoryId,
    keys: valid.map((v) => v.row.key),
    now: ctx.now,
  })
  const byKey = new Map(people.map((p) => [p.email_key, p]))
  const products = (apps: string[]) => apps.map((a) => ctx.catalogue.apps.get(a)!).filter(Boolean)

  const fresh: NewPerson[] = []
  const userUpdates: Parameters<typeof q.updateUsers>[3] = []
  const grantUpdates: Parameters<typeof q.updateMemberships>[3] = []
  for (const { line, row } of valid) {
    const person = byKey.get(row.key)
    if (row.isDelete) {
      if (!person?.membership_id)
        done(line, 'not_found', 'Nobody with this address is in this store: nothing to delete.')
      else {
        const id = person.membership_id
        const failed = await alone(tx, () => removeMember(tx, ctx.tenant, { id, actor: ctx.actor }))
        done(line, failed ? 'invalid' : 'deleted', failed)
      }
      continue
    }
    if (!person?.membership_id) {
      const checked = await ctx.catalogue.check({
        role: row.role ?? 'user',
        groups: [...ctx.tenant.settings.defaultGroups, ...(row.groups ?? [])],
        products: products(row.appsGranted),
        organization: row.organization ?? null,
      })
      if (!checked.ok) {
        done(line, 'invalid', checked.reason)
        continue
      }
      // A hash moves a person in active, with their old password; someone the directory knows
      // already (another store's) keeps the password they have and is invited.
      const status = row.passwordHash && !person ? 'active' : 'invited'
      const kind = row.kind ?? 'member'
      fresh.push({
        line,
        row,
        kind,
        grant: { user_id: person?.user_id ?? '', kind, status, ...checked.grant },
        ...(person && { userId: person.user_id, userLocale: person.locale }),
      })
      continue
    }
    if (person.status === 'invited') {
      if (person.is_pending) {
        done(line, 'already_invited', 'Invited already: no second mail.')
        continue
      }
      const failed = await alone(tx, async () => {
        const result = await inviteOne(tx, ctx.tenant, invitee(ctx, row), {
          secretKey: ctx.secretKey,
          now: ctx.now,
          ...(ctx.invitedBy && { invitedBy: ctx.invitedBy }),
        })
        done(
          line,
          result.status === 'already_member'
            ? 'unchanged'
            : result.status === 'invalid'
              ? 'invalid'
              : result.status,
          'reason' in result ? result.reason : null,
        )
      })
      if (failed) done(line, 'invalid', failed)
      continue
    }
    // A member already: the file's values replace theirs, and no invitation is sent.
    if (row.kind === 'guest' && person.kind === 'member') {
      done(line, 'invalid', 'A member cannot be made a guest by an import.')
      continue
    }
    const granted = new Set(products(row.appsGranted))
    const denied = new Set(products(row.appsDenied))
    const checked = await ctx.catalogue.check({
      role: row.role ?? person.role!,
      groups: row.groups ?? person.groups!,
      products: [...(person.products ?? []).filter((p) => !denied.has(p)), ...granted],
      organization: row.organization ?? person.organization,
    })
    if (!checked.ok) {
      done(line, 'invalid', checked.reason)
      continue
    }
    const g = checked.grant
    const kind = row.kind ?? person.kind!
    const profile = Object.fromEntries(
      PROFILE_KEYS.map((k) => [k, row.profile[k] ?? person[k]]),
    ) as Record<(typeof PROFILE_KEYS)[number], string | null>
    const profileChanged = PROFILE_KEYS.some((k) => profile[k] !== person[k])
    const grantChanged =
      kind !== person.kind ||
      g.role !== person.role ||
      g.organization !== person.organization ||
      !sameSet(g.groups, person.groups ?? []) ||
      !sameSet(g.products, person.products ?? [])
    if (!profileChanged && !grantChanged) {
      done(line, 'unchanged')
      continue
    }
    if (profileChanged && ctx.isDirectoryShared && !ctx.actor.isPlatform) {
      done(line, 'invalid', SHARED_PROFILE)
      continue
    }
    if (person.role === 'admin' && g.role !== 'admin' && person.status === 'active') {
      // Demoting an admin: members.ts keeps the store's last admin (and locks the admins).
      const id = person.membership_id
      const patch = {
        role: g.role,
        groups: g.groups,
        products: g.products,
        organization: g.organization,
      }
      const failed = await alone(tx, async () => {
        await updateMember(tx, ctx.tenant, { id, patch, actor: ctx.actor }, ctx.now)
        if (profileChanged) userUpdates.push({ id: person.user_id, ...profile })
      })
      done(line, failed ? 'invalid' : 'updated', failed)
      continue
    }
    if (profileChanged) userUpdates.push({ id: person.user_id, ...profile })
    if (grantChanged) grantUpdates.push({ id: person.membership_id, kind, ...g })
    done(line, 'updated')
  }

  await writeNewPeople(tx, ctx, fresh)
  for (const p of fresh) done(p.line, p.grant.status === 'active' ? 'created' : 'invited')
  await q.updateUsers(tx, ctx.directoryId, ctx.now, userUpdates)
  await q.updateMemberships(tx, ctx.tenant.id, ctx.now, grantUpdates)
  return out
}

async function writeNewPeople(tx: Tx, ctx: ChunkContext, fresh: NewPerson[]) {
  const newUsers = fresh.filter((p) => !p.userId)
  const inserted = await q.insertUsers(
    tx,
    ctx.directoryId,
    newUsers.map(({ row }) => ({
      email: row.email,
      email_key: row.key,
      first_name: row.profile.first_name ?? null,
      last_name: row.profile.last_name ?? null,
      phone: row.profile.phone ?? null,
      job_title: row.profile.job_title ?? null,
      external_id: row.profile.external_id ?? null,
      locale: row.profile.locale ?? null,
    })),
  )
  if (inserted.length !== newUsers.length) throw new ChunkConflict('an address was taken meanwhile')
  const userIdOf = new Map(inserted.map((u) => [u.email_key, u.id]))
  for (const p of newUsers) p.userId = userIdOf.get(p.row.key)!
  for (const p of fresh) p.grant.user_id = p.userId!

  const memberships = await q.insertMemberships(
    tx,
    { tenantId: ctx.tenant.id, directoryId: ctx.directoryId, now: ctx.now },
    fresh.map((p) => p.grant),
  )
  if (memberships.length !== fresh.length) throw new ChunkConflict('a member was added meanwhile')
  const membershipOf = new Map(memberships.map((m) => [m.user_id, m.id]))

  await q.insertCredentials(
    tx,
    ctx.directoryId,
    ctx.tenant.settings.passwordPolicy,
    fresh
      .filter((p) => p.grant.status === 'active')
      .map((p) => ({ user_id: p.userId!, password_hash: p.row.passwordHash! })),
  )

  const invited = fresh.filter((p) => p.grant.status === 'invited')
  const expiresAt = new Date(ctx.now.getTime() + durationMs(ctx.tenant.settings.invitationTtl))
  const invitations: Parameters<typeof q.insertInvitations>[2] = []
  const mails: q.OutboxRow[] = []
  for (const p of invited) {
    const { row } = p
    // Only the token's SHA-256 is stored (and the token sealed, as inviteOne does); the link
    // travels sealed in the outbox and is wiped once sent.
    const token = newToken()
    const locale = row.profile.locale ?? p.userLocale ?? ctx.tenant.settings.defaultLocale
    invitations.push({
      membership_id: membershipOf.get(p.userId!)!,
      token_hash: hashToken(token),
      token_sealed: seal(ctx.secretKey, 'invitation', token),
      locale,
    })
    const name = [row.profile.first_name, row.profile.last_name].filter(Boolean).join(' ')
    mails.push({
      template: 'invitation',
      locale: isLocale(locale) ? locale : 'en',
      to_address: row.email,
      to_name: name || null,
      data: {
        firstName: row.profile.first_name ?? '',
        email: row.email,
        expiresAt: expiresAt.toISOString(),
        storeKind: ctx.tenant.settings.store.kind,
      },
      // Sealed as enqueueMail seals it: these are its rows, written in one statement.
      secret: sealMailSecret(ctx.secretKey, { link: invitationLink(ctx.tenant, token) }),
    })
  }
  await q.insertInvitations(
    tx,
    { tenantId: ctx.tenant.id, invitedBy: ctx.invitedBy, expiresAt },
    invitations,
  )
  await q.insertMails(tx, ctx.tenant.id, ctx.now, mails)
}

/** Runs one row's slow path in a savepoint: the refusal's reason, or null when it went through. */
async function alone(tx: Tx, work: () => Promise<unknown>): Promise<string | null> {
  await q.savepoint.set(tx)
  try {
    await work()
    await q.savepoint.release(tx)
    return null
  } catch (error) {
    await q.savepoint.rollback(tx)
    if (error instanceof AppError) return error.message
    throw error
  }
}

function invitee(ctx: ChunkContext, row: ImportRow) {
  const p = row.profile
  return {
    directoryId: ctx.directoryId,
    enterpriseDirectoryId: null,
    person: {
      email: row.email,
      key: row.key,
      ...(p.first_name && { firstName: p.first_name }),
      ...(p.last_name && { lastName: p.last_name }),
      ...(p.phone && { phone: p.phone }),
      ...(p.job_title && { jobTitle: p.job_title }),
      ...(p.external_id && { externalId: p.external_id }),
      ...(p.locale && isLocale(p.locale) && { locale: p.locale }),
    },
    grant: {
      role: row.role ?? 'user',
      groups: row.groups ?? [],
      products: row.appsGranted.map((a) => ctx.catalogue.apps.get(a)!).filter(Boolean),
      organization: row.organization,
      kind: row.kind ?? 'member',
      reinvite: false,
    },
  }
}

const sameSet = (a: string[], b: string[]) =>
  a.length === b.length && [...a].sort().join('\u0000') === [...b].sort().join('\u0000')
