import type { Db } from '../db/database.js'
import { clientMetadata, findClient } from './apps.js'

// oidc-provider's storage contract (its Adapter interface), backed by one table keyed by tenant.
// Every model lives here; the `Client` model is read from the tenant's apps.
type Payload = Record<string, unknown> & {
  grantId?: string
  uid?: string
  userCode?: string
  consumed?: number
}

export function artefactAdapter({
  db,
  tenantId,
  replayed,
}: {
  db: Db
  tenantId: string
  /** The error for a code or refresh token consumed by a concurrent request (invalid_grant). */
  replayed: () => Error
}) {
  const rows = (model: string) =>
    db.selectFrom('oidc_artefacts').where('tenant_id', '=', tenantId).where('model', '=', model)
  // A grant's artefacts and the grant itself: what the winner of a race saves afterwards then
  // fails the provider's grant check (refresh) and ours (access tokens).
  const revokeGrant = (grantId: string) =>
    db
      .deleteFrom('oidc_artefacts')
      .where('tenant_id', '=', tenantId)
      .where((w) =>
        w.or([
          w('grant_id', '=', grantId),
          w.and([w('model', '=', 'Grant'), w('id', '=', grantId)]),
        ]),
      )
      .execute()

  const liveRows = (model: string) =>
    rows(model).where((w) => w.or([w('expires_at', 'is', null), w('expires_at', '>', new Date())]))

  const live = async (model: string, column: 'id' | 'uid' | 'user_code', value: string) => {
    const row = await liveRows(model)
      .select(['payload', 'consumed_at'])
      .where(column, '=', value)
      .executeTakeFirst()
    if (!row) return undefined
    const payload = row.payload as Payload
    return row.consumed_at
      ? { ...payload, consumed: Math.floor(row.consumed_at.getTime() / 1000) }
      : payload
  }

  return class ArtefactAdapter {
    readonly model: string
    constructor(model: string) {
      this.model = model
    }

    async upsert(id: string, payload: Payload, expiresIn?: number): Promise<void> {
      const expiresAt = expiresIn ? new Date(Date.now() + expiresIn * 1000) : null
      const values = {
        payload: JSON.stringify(payload),
        grant_id: payload.grantId ?? null,
        uid: payload.uid ?? null,
        user_code: payload.userCode ?? null,
        expires_at: expiresAt,
      }
      await db
        .insertInto('oidc_artefacts')
        .values({ tenant_id: tenantId, model: this.model, id, ...values })
        .onConflict((oc) => oc.columns(['tenant_id', 'model', 'id']).doUpdateSet(values))
        .execute()
    }

    async find(id: string): Promise<Payload | undefined> {
      if (this.model === 'Client') {
        const row = await findClient(db, tenantId, id)
        return row && clientMetadata(row)
      }
      return live(this.model, 'id', id)
    }

    /** A token's record, if it is live and the grant it came from (if any) still exists. */
    async findGranted(id: string): Promise<boolean> {
      const row = await liveRows(this.model)
        .select('id')
        .where('id', '=', id)
        .where((w) =>
          w.or([
            w('grant_id', 'is', null),
            w.exists(
              w
                .selectFrom('oidc_artefacts as g')
                .select('g.id')
                .where('g.tenant_id', '=', tenantId)
                .where('g.model', '=', 'Grant')
                .whereRef('g.id', '=', 'oidc_artefacts.grant_id'),
            ),
          ]),
        )
        .executeTakeFirst()
      return row !== undefined
    }

    findByUid(uid: string) {
      return live(this.model, 'uid', uid)
    }

    findByUserCode(userCode: string) {
      return live(this.model, 'user_code', userCode)
    }

    // oidc-provider reads `consumed`, then consumes: two requests racing with one code or
    // refresh token would both pass its check. Only the update that finds the row unconsumed
    // wins; the others are replays, and a replay revokes the grant (RFC 6749 4.1.2, 10.4).
    async consume(id: string): Promise<void> {
      const won = await db
        .updateTable('oidc_artefacts')
        .set({ consumed_at: new Date() })
        .where('tenant_id', '=', tenantId)
        .where('model', '=', this.model)
        .where('id', '=', id)
        .where('consumed_at', 'is', null)
        .returning('id')
        .executeTakeFirst()
      if (won) return
      const row = await rows(this.model).select('grant_id').where('id', '=', id).executeTakeFirst()
      if (row?.grant_id) await revokeGrant(row.grant_id)
      throw replayed()
    }

    async destroy(id: string): Promise<void> {
      await db
        .deleteFrom('oidc_artefacts')
        .where('tenant_id', '=', tenantId)
        .where('model', '=', this.model)
        .where('id', '=', id)
        .execute()
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      await revokeGrant(grantId)
    }
  }
}

export async function deleteExpiredArtefacts(db: Db, now: Date): Promise<number> {
  const result = await db
    .deleteFrom('oidc_artefacts')
    .where('expires_at', '<=', now)
    .executeTakeFirst()
  return Number(result.numDeletedRows)
}
