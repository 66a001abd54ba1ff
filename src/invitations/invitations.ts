import * as z from 'zod'
import type { Db, Tx } from '../db/database.js'
import { MEMBERSHIP_KINDS } from '../db/schema.js'
import { AppError } from '../errors.js'
import { inviteMember } from '../identity/memberships.js'
import { durationMs } from '../lib/duration.js'
import { seal } from '../lib/seal.js'
import { hashToken, newToken } from '../lib/tokens.js'
import { parse } from '../lib/validate.js'
import { Locale } from '../lib/locales.js'
import { databaseDirectoryOf, listDirectories, type Tenant } from '../tenants/tenants.js'
import { EMAIL_PROBLEMS, normalizeEmail, parseEmailList } from '../identity/addresses.js'
import { mailInvitation } from './invitation-mail.js'
import { RoleName } from '../identity/roles.js'
import { checkGrant } from '../members/rules.js'
import * as queries from './invitations.queries.js'

export const MAX_INVITEES = 1_000
const DUPLICATE = 'This address appears more than once in the list.'
const Text = (max: number) => z.string().trim().max(max).optional()
const Label = z.string().trim().min(1).max(100)

const Invitee = z.strictObject({
  email: z.string().max(1_000),
  firstName: Text(100),
  lastName: Text(100),
  phone: Text(40),
  jobTitle: Text(100),
  externalId: Text(100),
  locale: Locale.optional(),
})

export const InviteInput = z
  .strictObject({
    invitees: z.array(Invitee).min(1).max(MAX_INVITEES).optional(),
    emails: z.string().max(2_000_000).optional(),
    role: RoleName.default('user'),
    groups: z.array(Label).max(100).default([]),
    products: z.array(Label).max(100).default([]),
    organization: Text(200),
    kind: z.enum(MEMBERSHIP_KINDS).default('member'),
    reinvite: z
      .boolean()
      .default(false)
      .describe(
        'Send a new link (new expiry, earlier links dead) to people whose invitation is still pending. Absent: they are answered already_invited and get no mail (the resend cooldown holds).',
      ),
    locale: Locale.optional(),
    directory: z
      .uuid()
      .describe(
        'The id of one of the tenant’s company directories (SAML or OIDC): the invitees sign in there, and the first sign-in with their verified email accepts the invitation. Absent: the custom user database (a password).',
      )
      .optional(),
  })
  .refine((i) => (i.invitees === undefined) !== (i.emails === undefined), {
    message: 'give either invitees (a list) or emails (pasted text)',
  })
export type InviteInput = z.input<typeof InviteInput>

export type InviteResult =
  | { email: string; status: 'invited' | 'reinvited'; invitationId: string; expiresAt: string }
  | { email: string; status: 'already_member' }
  | { email: string; status: 'already_invited'; invitationId: string; expiresAt: string }
  | { email: string; status: 'invalid'; reason: string; line?: number; column?: number }

export type MailContext = { secretKey: string; now?: Date }
type Person = z.infer<typeof Invitee> & { key: string }

export type InvitationPlan = {
  /** The people to invite, each in a transaction of its own (`inviteOne`). */
  invitees: Invitee[]
  /** Lines refused before anything was written: bad addresses and duplicates. */
  refused: InviteResult[]
}
export type Invitee = {
  /** Where the person's identity lives: the tenant's user database, or the directory invited into. */
  directoryId: string
  /** The enterprise directory the invitation names (its link starts that sign-in); else null. */
  enterpriseDirectoryId: string | null
  person: Person
  grant: z.infer<typeof InviteInput>
}

/**
 * Reads the request and sorts it out. The caller then invites each person in a transaction of
 * its own, so one bad address or one failure never blocks the others.
 */
export async function planInvitations(
  db: Db,
  tenant: Tenant,
  input: unknown,
): Promise<InvitationPlan> {
  const grant = parse(InviteInput, input)
  const { people, results } = sortOut(grant)
  if (people.length > MAX_INVITEES) {
    throw new AppError(
      'invalid_request',
      `At most ${MAX_INVITEES} people per invitation request (got ${people.length}).`,
      {
        details: { max: MAX_INVITEES, received: people.length },
      },
    )
  }
  // Catalogue check (issue 11): an unknown role, group, organization or product makes every row
  // of the request invalid, with the reason; the spellings become the catalogue's.
  const checked = await checkGrant(db, tenant, {
    ...grant,
    organization: grant.organization || null,
  })
  if (!checked.ok) {
    const refused = people.map((p) => ({
      email: p.email,
      status: 'invalid' as const,
      reason: checked.reason,
    }))
    return { invitees: [], refused: [...results, ...refused] }
  }
  Object.assign(grant, { ...checked.grant, organization: checked.grant.organization ?? undefined })
  const directory = grant.directory
    ? await enterpriseDirectoryOf(db, tenant.id, grant.directory)
    : await databaseDirectoryOf(db, tenant.id)
  const enterpriseDirectoryId = grant.directory ? directory.id : null
  return {
    invitees: people.map((person) => ({
      directoryId: directory.id,
      enterpriseDirectoryId,
      person,
      grant,
    })),
    refused: results,
  }
}

/** Seed 001: per invitee, the custom user database or one of the tenant's company directories. */
async function enterpriseDirectoryOf(db: Db, tenantId: string, id: string) {
  const directory = (await listDirectories(db, tenantId)).find(
    (d) => d.id === id && d.kind !== 'database',
  )
  if (!directory) {
    const message = 'There is no enterprise directory with this id in this store.'
    throw new AppError('invalid_request', message, {
      details: { fields: { directory: [message] }, form: [] },
    })
  }
  return directory
}

function sortOut(grant: z.infer<typeof InviteInput>): {
  people: Person[]
  results: InviteResult[]
} {
  const results: InviteResult[] = []
  if (grant.emails !== undefined) {
    // Parsing is linear and the body size is capped, so count everything to report the real size.
    const parsed = parseEmailList(grant.emails, 100_000)
    for (const bad of parsed.invalid) {
      results.push({
        email: bad.input,
        status: 'invalid',
        reason: EMAIL_PROBLEMS[bad.reason],
        line: bad.line,
        ...(bad.column ? { column: bad.column } : {}),
      })
    }
    for (const dup of parsed.duplicates)
      results.push({ email: dup.input, status: 'invalid', reason: DUPLICATE, line: dup.line })
    return {
      people: parsed.emails.map((e) => ({
        email: e.email,
        key: e.key,
        firstName: e.firstName,
        lastName: e.lastName,
      })),
      results,
    }
  }
  const seen = new Set<string>()
  const people: Person[] = []
  for (const invitee of grant.invitees ?? []) {
    const normal = normalizeEmail(invitee.email)
    if (!normal.ok)
      results.push({
        email: invitee.email,
        status: 'invalid',
        reason: EMAIL_PROBLEMS[normal.reason],
      })
    else if (seen.has(normal.key))
      results.push({ email: invitee.email, status: 'invalid', reason: DUPLICATE })
    else (people.push({ ...invitee, email: normal.email, key: normal.key }), seen.add(normal.key))
  }
  return { people, results }
}

/** One person of the plan: user, membership, invitation and its mail commit together. */
export async function inviteOne(
  tx: Tx,
  tenant: Tenant,
  invitee: Invitee,
  ctx: MailContext & { invitedBy?: string | undefined },
): Promise<InviteResult> {
  const { directoryId, person, grant } = invitee
  const now = ctx.now ?? new Date()
  // Posting the same list again neither re-sends nor changes the grant of someone still
  // pending: that is what resend (under its cooldown) and reinvite are for.
  if (!grant.reinvite) {
    const key = { tenantId: tenant.id, directoryId, emailKey: person.key }
    const pending = await queries.findPendingForAddress(tx, key, now)
    if (pending)
      return {
        email: pending.email,
        status: 'already_invited',
        invitationId: pending.id,
        expiresAt: pending.expires_at.toISOString(),
      }
  }
  const member = await inviteMember(
    tx,
    {
      tenantId: tenant.id,
      person: {
        directory_id: directoryId,
        email: person.email,
        email_key: person.key,
        first_name: person.firstName || null,
        last_name: person.lastName || null,
        phone: person.phone || null,
        job_title: person.jobTitle || null,
        external_id: person.externalId || null,
        locale: person.locale ?? grant.locale ?? null,
      },
      grant: {
        kind: grant.kind,
        role: grant.role,
        groups: [...new Set([...tenant.settings.defaultGroups, ...grant.groups])],
        products: grant.products,
        organization: grant.organization || null,
      },
    },
    now,
  )
  if (!member.ok) return { email: member.user.email, status: 'already_member' }
  const { user, membership } = member

  const locale = person.locale ?? grant.locale ?? user.locale ?? tenant.settings.defaultLocale
  const token = newToken()
  const sealed = {
    hash: hashToken(token),
    sealed: seal(ctx.secretKey, 'invitation', token),
    expiresAt: new Date(now.getTime() + durationMs(tenant.settings.invitationTtl)),
    locale,
  }
  const existing = member.created
    ? undefined
    : await queries.findInvitationOfMembership(tx, tenant.id, membership.id)
  const invitation =
    (existing && (await queries.renewInvitation(tx, tenant.id, existing.id, sealed, now))) ||
    (await queries.insertInvitation(tx, {
      tenant_id: tenant.id,
      membership_id: membership.id,
      token_hash: sealed.hash,
      token_sealed: sealed.sealed,
      locale,
      expires_at: sealed.expiresAt,
      invited_by: ctx.invitedBy ?? null,
      directory_id: invitee.enterpriseDirectoryId,
    }))
  await mailInvitation(tx, tenant, {
    person: user,
    invitation,
    token,
    template: 'invitation',
    directoryId: invitee.enterpriseDirectoryId,
    secretKey: ctx.secretKey,
  })
  return {
    email: user.email,
    status: member.created ? 'invited' : 'reinvited',
    invitationId: invitation.id,
    expiresAt: invitation.expires_at.toISOString(),
  }
}
