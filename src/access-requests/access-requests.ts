import * as z from 'zod'
import { recordAudit } from '../audit/audit.js'
import type { Db, Tx } from '../db/database.js'
import { ACCESS_REQUEST_STATUSES } from '../db/schema.js'
import { AppError } from '../errors.js'
import { type InviteResult, inviteOne, planInvitations } from '../invitations/invitations.js'
import { pageCursor, PG_TIMESTAMPTZ_TEXT } from '../lib/cursor.js'
import { parse } from '../lib/validate.js'
import { enqueueMail } from '../mail/outbox.js'
import type { Tenant } from '../tenants/tenants.js'
import * as queries from './access-requests.queries.js'
import { notifyAdmins } from './notify.js'

export type { AccessRequest } from './access-requests.queries.js'

/** What the /request-access form sends; the address is checked by identity/addresses.ts. */
export const RequestAccessForm = z.object({
  email: z.string().trim().min(1).max(254),
  name: z.string().trim().min(1).max(100),
  message: z.string().trim().max(1000).default(''),
})

export const AccessRequestQuery = z.strictObject({
  status: z.enum(ACCESS_REQUEST_STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(500).optional(),
})

/** The grant of an approval: the invitation's own fields, checked by InviteInput. */
export const ApproveInput = z.strictObject({
  role: z.string().max(100).optional(),
  groups: z.array(z.string().max(200)).max(100).optional(),
  products: z.array(z.string().max(200)).max(100).optional(),
  organization: z.string().max(200).optional(),
  kind: z.enum(['member', 'guest']).optional(),
  locale: z.string().max(10).optional(),
  reinvite: z.boolean().optional(),
})

export const SubscriptionInput = z.strictObject({ subscribed: z.boolean() })

const cursor = pageCursor(z.tuple([z.string().regex(PG_TIMESTAMPTZ_TEXT), z.uuid()]))
const NOT_FOUND = 'There is no access request with this id in this store.'
const DECIDED = 'This access request was already approved or denied.'

/**
 * Records a request and tells the admins. The same work whoever asks (unknown, member, invited,
 * already asked): nothing in the answer or its timing says whether the person has an account.
 */
export async function submitAccessRequest(
  tx: Tx,
  tenant: Tenant,
  input: { email: string; emailKey: string; name: string; message: string; locale: string },
  ctx: { secretKey: string; ip?: string | undefined; now?: Date },
): Promise<queries.AccessRequest> {
  const now = ctx.now ?? new Date()
  const request = await queries.upsertPendingRequest(
    tx,
    {
      tenant_id: tenant.id,
      email: input.email,
      email_key: input.emailKey,
      name: input.name,
      message: input.message,
      locale: input.locale,
    },
    now,
  )
  await recordAudit(tx, {
    tenantId: tenant.id,
    actor: { kind: 'system', name: 'request-access page' },
    action: 'access_request.received',
    subject: { kind: 'access_request', id: request.id, label: request.email },
    ip: ctx.ip,
  })
  await notifyAdmins(tx, tenant, request, { secretKey: ctx.secretKey, now })
  return request
}

export async function listAccessRequests(db: Db, tenant: Tenant, input: unknown) {
  const q = parse(AccessRequestQuery, input)
  const after = q.cursor ? cursor.decode(q.cursor) : undefined
  const rows = await queries.listRequests(db, {
    tenantId: tenant.id,
    status: q.status,
    after: after && { at: after[0], id: after[1] },
    limit: q.limit + 1,
  })
  const { page, nextCursor } = cursor.page(rows, q.limit, (r) => [r.created_at_text, r.id])
  return { items: page.map(accessRequestView), nextCursor }
}

export async function requireAccessRequest(db: Db, tenantId: string, id: string) {
  const found = z.uuid().safeParse(id).success
    ? await queries.findRequest(db, tenantId, id)
    : undefined
  if (!found) throw new AppError('not_found', NOT_FOUND)
  return found
}

/**
 * Approves a pending request with the grant the admin chose: a real invitation (its mail
 * queued) in the same transaction as the guarded decision, so a racing deny or a second
 * approve gets 409 and no second mail.
 */
export async function approveAccessRequest(
  db: Db,
  tenant: Tenant,
  input: { id: string; grant: unknown; decidedBy: string },
  ctx: { secretKey: string; now?: Date },
): Promise<{ request: queries.AccessRequest; invitation: InviteResult }> {
  const now = ctx.now ?? new Date()
  const request = await requireAccessRequest(db, tenant.id, input.id)
  const grant = parse(ApproveInput, input.grant ?? {})
  const [firstName, ...rest] = request.name.split(/\s+/)
  const invitee = {
    email: request.email,
    firstName: firstName?.slice(0, 100),
    ...(rest.length ? { lastName: rest.join(' ').slice(0, 100) } : {}),
  }
  const plan = await planInvitations(db, tenant, {
    ...grant,
    locale: grant.locale ?? request.locale,
    // Someone already invited gets a fresh link: approving must end in a mail they can use.
    reinvite: grant.reinvite ?? true,
    invitees: [invitee],
  })
  const [refused] = plan.refused
  const [one] = plan.invitees
  if (refused?.status === 'invalid' || !one)
    throw new AppError(
      'invalid_request',
      refused?.status === 'invalid' ? refused.reason : NOT_FOUND,
    )
  return db.transaction().execute(async (tx) => {
    const decided = await queries.decideRequest(tx, {
      tenantId: tenant.id,
      id: request.id,
      status: 'approved',
      by: input.decidedBy,
      now,
    })
    if (!decided) throw new AppError('conflict', DECIDED)
    const invitation = await inviteOne(tx, tenant, one, {
      secretKey: ctx.secretKey,
      invitedBy: input.decidedBy,
      now,
    })
    if ('invitationId' in invitation) {
      await queries.setInvitation(tx, tenant.id, request.id, invitation.invitationId)
      decided.invitation_id = invitation.invitationId
    }
    return { request: decided, invitation }
  })
}

/** Denies a pending request; the requester is told politely, once (the decision is single-use). */
export async function denyAccessRequest(
  tx: Tx,
  tenant: Tenant,
  input: { id: string; decidedBy: string },
  ctx: { secretKey: string; now?: Date },
): Promise<queries.AccessRequest> {
  const now = ctx.now ?? new Date()
  const request = await requireAccessRequest(tx, tenant.id, input.id)
  const decided = await queries.decideRequest(tx, {
    tenantId: tenant.id,
    id: request.id,
    status: 'denied',
    by: input.decidedBy,
    now,
  })
  if (!decided) throw new AppError('conflict', DECIDED)
  await enqueueMail(
    tx,
    {
      tenantId: tenant.id,
      template: 'access_request_denied',
      locale: decided.locale,
      to: { address: decided.email, name: decided.name },
      data: { firstName: decided.name },
      secret: { link: `${tenant.publicUrl}/` },
    },
    ctx.secretKey,
  )
  return decided
}

/** The wire shape: an explicit allowlist. */
export const accessRequestView = (r: queries.AccessRequest) => ({
  id: r.id,
  email: r.email,
  name: r.name,
  message: r.message,
  locale: r.locale,
  status: r.status,
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
  decidedAt: r.decided_at?.toISOString() ?? null,
  decidedBy: r.decided_by,
  invitationId: r.invitation_id,
})
