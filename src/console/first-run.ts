import { createApiKey } from '../admin/api-keys.js'
import type { RuntimeConfig } from '../config.js'
import type { Db } from '../db/database.js'
import { AppError } from '../errors.js'
import { inviteOne, planInvitations } from '../invitations/invitations.js'
import { seedDemoTenant } from '../tenants/demo.js'
import { countTenants, type Tenant } from '../tenants/tenants.js'
import { ADMIN_ROLE, type AdminInvitation, inviteAdmin, pendingInvitationLink } from './admins.js'
import type { FirstTenant } from './first-tenant.js'
import { ensurePlatformTenant } from './platform.js'

// The demo admin's link: single use (an invitation), stored only as a hash and a sealed copy,
// and short-lived, since it is printed to a terminal and a log.
export const DEMO_ADMIN_LINK_TTL = '24h'

export type FirstRun = {
  /** Set on the very first start outside production: the demo tenant just created. */
  demo?: { tenant: Tenant; key: string; admin?: AdminInvitation }
  /** Set on the start that made FIRST_TENANT_SLUG's tenant; its admin's invitation is queued. */
  first?: { tenant: Tenant; admin: { email: string; link: string; expiresAt: string } }
  /** FIRST_TENANT_SLUG's tenant could not be made (a host taken, say): said at start. */
  firstProblem?: string
  /** Production with no store and none named: the log says how to make the first one. */
  empty?: true
  /** Absent when it cannot be set up (PLATFORM_HOST or its slug taken): the stores still serve. */
  platform?: Awaited<ReturnType<typeof ensurePlatformTenant>>
  /** Why the platform console is not (fully) served: said at start, never fatal. */
  platformProblem?: string
}

/**
 * What `serve` sets up once the database is migrated. On a database with no store yet, the
 * first tenant FIRST_TENANT_SLUG names and its admin's invitation; without one (outside
 * production) the demo tenant, its admin API key and a one-time link inviting its admin; then,
 * always, the platform tenant. Stores come first: they are made only while none exists.
 */
export async function firstRun(db: Db, config: RuntimeConfig): Promise<FirstRun> {
  const first: Pick<FirstRun, 'first' | 'firstProblem'> = config.firstTenant
    ? await createFirstTenant(db, config.firstTenant, config).then(
        (made) => (made ? { first: made } : {}),
        (error: unknown) => {
          if (!(error instanceof AppError)) throw error
          return { firstProblem: `FIRST_TENANT_SLUG: not created: ${error.message}` }
        },
      )
    : {}
  // A deployment that names its first tenant wants that one, not the demo.
  const tenant =
    config.isProduction || config.firstTenant
      ? undefined
      : await db
          .transaction()
          .execute((tx) => seedDemoTenant(tx, config.seed, config.tenantDefaults, config))
  const platform = await ensurePlatformTenant(db, config).then(
    (p) => ({ platform: p, ...(p.warning ? { platformProblem: p.warning } : {}) }),
    (error: unknown) => {
      if (!(error instanceof AppError)) throw error
      return { platformProblem: `no platform console at ${config.platformHost}: ${error.message}` }
    },
  )
  if (!tenant) {
    const empty = config.isProduction && !first.first && (await countTenants(db)) === 0
    return { ...first, ...platform, ...(empty ? { empty } : {}) }
  }
  // A first-time user cannot run the CLI beside a server on the embedded database, so the first
  // run hands out the demo tenant's admin API key and its admin's link itself.
  const { key } = await createApiKey(db, { tenantId: tenant.id, name: 'demo (first run)' })
  const admin = config.seed.admin
    ? await inviteAdmin(
        db,
        tenant,
        { email: config.seed.admin.email, invitationTtl: DEMO_ADMIN_LINK_TTL },
        { secretKey: config.secretKey },
      )
    : undefined
  return { demo: { tenant, key, ...(admin ? { admin } : {}) }, ...platform }
}

/**
 * FIRST_TENANT_SLUG's tenant and its admin's invitation, in one transaction under the
 * tenant-creation lock, on a database with no store yet: replicas starting together make it
 * once, a crash halfway leaves nothing half made, and a restart with the same variables (or a
 * store made since by other means) changes nothing. The invitation's mail goes through the
 * outbox like any other; without SMTP_URL its link is also handed back, short-lived, for the log.
 */
async function createFirstTenant(db: Db, first: FirstTenant, config: RuntimeConfig) {
  return db.transaction().execute(async (tx) => {
    const made = await seedDemoTenant(
      tx,
      { ...first, directory: { kind: 'database', name: `${first.name} users` } },
      config.tenantDefaults,
      config,
    )
    if (!made) return undefined
    const tenant = config.smtpUrl
      ? made
      : { ...made, settings: { ...made.settings, invitationTtl: DEMO_ADMIN_LINK_TTL } }
    const plan = await planInvitations(tx, tenant, { emails: first.adminEmail, role: ADMIN_ROLE })
    const [invitee] = plan.invitees
    if (!invitee) throw new AppError('invalid_request', `FIRST_ADMIN_EMAIL cannot be invited`)
    const result = await inviteOne(tx, tenant, invitee, { secretKey: config.secretKey })
    if (result.status !== 'invited') throw new Error(`a new tenant's admin was ${result.status}`)
    const link = await pendingInvitationLink(tx, tenant, result.invitationId, config.secretKey)
    return { tenant: made, admin: { email: result.email, link, expiresAt: result.expiresAt } }
  })
}

/** What the log says after the first run, beside the demo's lines: what the operator does next. */
export function firstRunNotes(run: FirstRun, config: { smtpUrl?: string | undefined }): string[] {
  const notes: string[] = []
  if (run.first) {
    const { tenant, admin } = run.first
    const then = `choose a password, then sign in at ${tenant.publicUrl}/admin`
    notes.push(
      `first run: created the tenant "${tenant.slug}" at ${tenant.publicUrl}/ and invited its admin ${admin.email}. ` +
        (config.smtpUrl
          ? `Open the link in the invitation mail (valid until ${admin.expiresAt}), ${then}`
          : `SMTP_URL is not set, so here is the one-time link (valid until ${admin.expiresAt}): ${admin.link}\n  ${then}`),
    )
  }
  if (run.empty)
    notes.push(
      'no store yet. Name the first one and its admin, then restart: FIRST_TENANT_SLUG=acme ' +
        'FIRST_TENANT_HOST=login.acme.example FIRST_ADMIN_EMAIL=you@acme.example ' +
        '(or run `gateway tenant create --slug SLUG --name NAME --host HOST`, then ' +
        '`gateway admin create --tenant SLUG --email ADDRESS`)',
    )
  return notes
}
