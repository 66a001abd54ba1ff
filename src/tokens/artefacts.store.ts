import { AsyncLocalStorage } from 'node:async_hooks'
import type { Db } from '../db/database.js'
import {
  type ArtefactRow,
  consumeAndWrite,
  findWithGrantAndSession,
  upsertArtefacts,
} from './artefacts.queries.js'
import { groupWrite } from '../lib/group-write.js'
import { heldLookup } from '../revocation/cache.js'
import { type RevocationView, revocationKeys } from '../revocation/view.js'
import { clientMetadata, findClient } from './apps.js'

// oidc-provider's storage contract (its Adapter interface), backed by one table keyed by tenant.
// Every model lives here; the `Client` model is read from the tenant's apps.
type Payload = Record<string, unknown> & {
  grantId?: string
  uid?: string
  userCode?: string
  consumed?: number
}

/**
 * One grant at the token endpoint (`inOneWrite`): what it reads ahead, the code or refresh token
 * it consumes and the tokens it issues, which are written together at its end.
 */
type Grant = {
  consume?: { model: string; id: string }
  writes: Map<string, ArtefactRow>
  /** `model id` (`model uid uid`) -> the payload read ahead, null when there is none. */
  ahead: Map<string, Payload | null>
}
const grants = new AsyncLocalStorage<Grant>()
// The records a grant issues: written at its end (read back from there if asked before).
const ISSUED = new Set(['AccessToken', 'ClientCredentials', 'RefreshToken'])
// What a grant starts from: its record comes with its grant's and its session's.
const SOURCES = new Set(['AuthorizationCode', 'RefreshToken'])

const withConsumed = (payload: unknown, consumedAt: Date | null): Payload =>
  consumedAt
    ? { ...(payload as Payload), consumed: Math.floor(consumedAt.getTime() / 1000) }
    : (payload as Payload)

export function artefactAdapter({
  db,
  tenantId,
  replayed,
  view,
}: {
  db: Db
  tenantId: string
  /** The error for a code or refresh token consumed by a concurrent request (invalid_grant). */
  replayed: () => Error
  /**
   * Keeps the apps (Client) read per process while it holds: every request at the provider
   * reads its app, and a changed or deleted app is an event (its key, and the tenant's).
   */
  view?: RevocationView | undefined
}) {
  // The tokens of grants that spend nothing (client credentials), written in groups: each
  // answer still waits for its own record, and concurrent grants share a statement and a commit.
  // One row per key in a statement (an upsert may not touch a row twice): the last one asked.
  const writeIssued = groupWrite<ArtefactRow>((issued) =>
    upsertArtefacts(db, [
      ...new Map(issued.map((row) => [`${row.model} ${row.id}`, row])).values(),
    ]),
  )
  const client = heldLookup(
    view,
    async (clientId) => {
      const row = await findClient(db, tenantId, clientId)
      return row && (clientMetadata(row) as Payload)
    },
    (clientId) => [revocationKeys.tenant(tenantId), revocationKeys.app(tenantId, clientId)],
  )
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
  const revokeGrantOf = async (model: string, id: string) => {
    const row = await rows(model).select('grant_id').where('id', '=', id).executeTakeFirst()
    if (row?.grant_id) await revokeGrant(row.grant_id)
  }
  /** Whether this request consumed the code or refresh token; a replay revokes its grant. */
  const consumeOnce = async (model: string, id: string) => {
    const won = await db
      .updateTable('oidc_artefacts')
      .set({ consumed_at: new Date() })
      .where('tenant_id', '=', tenantId)
      .where('model', '=', model)
      .where('id', '=', id)
      .where('consumed_at', 'is', null)
      .returning('id')
      .executeTakeFirst()
    if (!won) await revokeGrantOf(model, id)
    return won !== undefined
  }

  const liveRows = (model: string) =>
    rows(model).where((w) => w.or([w('expires_at', 'is', null), w('expires_at', '>', new Date())]))

  const live = async (model: string, column: 'id' | 'uid' | 'user_code', value: string) => {
    const row = await liveRows(model)
      .select(['payload', 'consumed_at'])
      .where(column, '=', value)
      .executeTakeFirst()
    return row && withConsumed(row.payload, row.consumed_at)
  }

  /** A code or refresh token, reading its grant and session ahead for the same request. */
  async function source(grant: Grant, model: string, id: string) {
    const row = await findWithGrantAndSession(db, { tenantId, model, id }, new Date())
    if (!row) return undefined
    if (row.grant_id)
      grant.ahead.set(
        `Grant ${row.grant_id}`,
        row.grant_payload ? withConsumed(row.grant_payload, row.grant_consumed_at) : null,
      )
    if (row.session_uid)
      grant.ahead.set(
        `Session uid ${row.session_uid}`,
        row.session_payload ? withConsumed(row.session_payload, row.session_consumed_at) : null,
      )
    return withConsumed(row.payload, row.consumed_at)
  }

  return class ArtefactAdapter {
    readonly model: string
    constructor(model: string) {
      this.model = model
    }

    /**
     * Runs one request at the token endpoint as one grant: the code or refresh token it
     * consumes and the tokens it issues are written in one statement at its end, and only
     * together (artefacts.queries.ts consumeAndWrite); `issued()` tells whether the request
     * issued them (its answer is a success). False when a concurrent request consumed the code
     * or refresh token first: the grant is revoked, and the answer must be invalid_grant.
     */
    static async inOneWrite(work: () => Promise<void>, issued: () => boolean): Promise<boolean> {
      const grant: Grant = { writes: new Map(), ahead: new Map() }
      await grants.run(grant, work)
      const writes = issued() ? [...grant.writes.values()] : []
      const { consume } = grant
      if (!consume) {
        if (writes.length) await writeIssued(writes)
        return true
      }
      // A refused grant (the account disabled, say) still spends its code.
      if (!writes.length) return consumeOnce(consume.model, consume.id)
      const key = { tenantId, ...consume }
      const outcome = await consumeAndWrite(db, key, writes, new Date())
      if (outcome.consumed && outcome.written) return true
      await revokeGrantOf(consume.model, consume.id)
      return false
    }

    async upsert(id: string, payload: Payload, expiresIn?: number): Promise<void> {
      const row: ArtefactRow = {
        tenant_id: tenantId,
        model: this.model,
        id,
        payload: JSON.stringify(payload),
        grant_id: payload.grantId ?? null,
        uid: payload.uid ?? null,
        user_code: payload.userCode ?? null,
        expires_at: expiresIn ? new Date(Date.now() + expiresIn * 1000) : null,
      }
      const grant = grants.getStore()
      if (grant && ISSUED.has(this.model)) grant.writes.set(`${this.model} ${id}`, row)
      else await upsertArtefacts(db, [row])
    }

    async find(id: string): Promise<Payload | undefined> {
      // A copy: what the provider is handed is its own.
      if (this.model === 'Client') return client(id).then((found) => found && { ...found })
      const grant = grants.getStore()
      // Written later in one go, but read back as if written now.
      const pending = grant?.writes.get(`${this.model} ${id}`)
      if (pending) return JSON.parse(pending.payload) as Payload
      const ahead = grant?.ahead.get(`${this.model} ${id}`)
      if (ahead !== undefined) return ahead ?? undefined
      if (grant && SOURCES.has(this.model)) return source(grant, this.model, id)
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
      const ahead = grants.getStore()?.ahead.get(`${this.model} uid ${uid}`)
      if (ahead !== undefined) return Promise.resolve(ahead ?? undefined)
      return live(this.model, 'uid', uid)
    }

    findByUserCode(userCode: string) {
      return live(this.model, 'user_code', userCode)
    }

    // oidc-provider reads `consumed`, then consumes: two requests racing with one code or
    // refresh token would both pass its check. Only the update that finds the row unconsumed
    // wins; the others are replays, and a replay revokes the grant (RFC 6749 4.1.2, 10.4).
    // In a grant (inOneWrite) the update comes at the end, with the tokens it issued.
    async consume(id: string): Promise<void> {
      const grant = grants.getStore()
      if (grant && !grant.consume) {
        grant.consume = { model: this.model, id }
        return
      }
      if (!(await consumeOnce(this.model, id))) throw replayed()
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
