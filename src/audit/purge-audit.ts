import type { Db } from '../db/database.js'
import { durationMs } from '../lib/duration.js'
import { DEFAULT_AUDIT_RETENTION } from '../tenants/settings.js'
import { tenantsWithSettings } from '../tenants/tenants.js'
import { deleteAuditEventsBefore } from './audit.queries.js'

/**
 * Deletes the events older than each tenant's `auditRetention`; platform events (and those
 * of a tenant gone since) after the default. Plain deletes by age: idempotent, so every
 * gateway process may run it at once.
 */
export async function purgeAuditEvents(db: Db, now = new Date()) {
  let events = 0
  const before = (retention: string) => new Date(now.getTime() - durationMs(retention))
  for (const tenant of await tenantsWithSettings(db))
    events += await db
      .transaction()
      .execute((tx) =>
        deleteAuditEventsBefore(
          tx,
          { tenantId: tenant.id },
          before(tenant.settings.auditRetention),
        ),
      )
  events += await db
    .transaction()
    .execute((tx) =>
      deleteAuditEventsBefore(tx, { orphans: true }, before(DEFAULT_AUDIT_RETENTION)),
    )
  return { events }
}
