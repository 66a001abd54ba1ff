import type { Db } from '../db/database.js'
import type { Log } from '../log.js'
import { eventsSince, pruneEvents, snapshotXmin } from './revocation.queries.js'

// DESIGN.md, "Hot paths answer from memory, kept fresh by the database": the triggers of
// migration 20261202_1500 append an event to revocation_events for every change that may end a
// credential; each process reads the new events every POLL_MS. A poll is one ordinary statement,
// so it passes PgBouncer in transaction mode and runs on the embedded PGlite alike (LISTEN
// would do neither).
export const POLL_MS = 250
// What is cached is trusted only while the last poll that succeeded began less than this long
// ago: every revocation committed before it has been read, so a revoked credential is refused
// by every process within about FRESH_MS (issue 13: within 1 s). Past it (database away, event
// loop stalled), every answer comes from the database again.
export const FRESH_MS = 750
/** No cached answer is older than this, whatever the events say. */
export const MAX_AGE_MS = 5 * 60_000
// Events are kept an hour. A process that could not read them for RESYNC_MS (well within the
// hour) trusts nothing it cached before, as events it missed may have been pruned meanwhile.
const RETENTION = '1 hour'
const RESYNC_MS = 10 * 60_000
const PRUNE_EVERY_MS = 60_000

/**
 * The keys events name (one credential or what it depends on); the migration's triggers write
 * the same strings.
 */
export const revocationKeys = {
  accessToken: (tenantId: string, jti: string) => `a:${tenantId}:${jti}`,
  session: (tenantId: string, idHashHex: string) => `s:${tenantId}:${idHashHex}`,
  membership: (tenantId: string, userId: string) => `m:${tenantId}:${userId}`,
  user: (userId: string) => `u:${userId}`,
  tenant: (tenantId: string) => `T:${tenantId}`,
  app: (tenantId: string, clientId: string) => `c:${tenantId}:${clientId}`,
}

export type RevocationView = {
  /** Whether cached answers may be used now (the events are fresh); starts polling on first use. */
  fresh(): boolean
  /** The clock `since` and `holds` use (monotonic, ms); read it before looking a credential up. */
  now(): number
  /** Whether an answer looked up at `since`, resting on `keys`, still holds. */
  holds(since: number, keys: readonly string[]): boolean
  /** Stops polling (tests; a process ends with its event loop). */
  stop(): void
}

export function revocationView(db: Db, log: Log, pollMs = POLL_MS): RevocationView {
  /** When each key was last revoked (this process's clock). */
  const revoked = new Map<string, number>()
  /** Events already applied whose transaction may still be at or above the cursor: id -> tx. */
  const applied = new Map<string, bigint>()
  let cursor: bigint | undefined
  let lastGood = -Infinity
  let epoch = Infinity
  let lastPrune = 0
  let timer: NodeJS.Timeout | undefined
  let started = false
  let stopped = false
  let failing = false

  async function poll() {
    const began = performance.now()
    try {
      if (cursor === undefined) {
        cursor = BigInt(await snapshotXmin(db))
        epoch = performance.now()
      } else await readEvents(cursor)
      if (began - lastGood > RESYNC_MS && lastGood !== -Infinity) epoch = performance.now()
      lastGood = began
      if (failing) log.info('revocation events readable again')
      failing = false
      if (began - lastPrune > PRUNE_EVERY_MS) {
        lastPrune = began
        await pruneEvents(db, RETENTION)
        forgetOld(began)
      }
    } catch (err) {
      if (!failing)
        log.warn({ err }, 'revocation events unreadable: forward auth asks the database')
      failing = true
    } finally {
      if (!stopped) {
        timer = setTimeout(() => void poll(), pollMs)
        // The poll never keeps a process alive that has nothing else to do.
        timer.unref()
      }
    }
  }

  async function readEvents(from: bigint) {
    const rows = await eventsSince(db, from)
    const at = performance.now()
    for (const row of rows) {
      if (row.id === null || row.key === null || applied.has(row.id)) continue
      revoked.set(row.key, at)
      applied.set(row.id, BigInt(row.tx!))
    }
    const xmin = BigInt(rows[0]!.xmin)
    // A database restored from a dump numbers transactions anew: start over.
    if (xmin < from) {
      applied.clear()
      epoch = performance.now()
    }
    cursor = xmin
    for (const [id, tx] of applied) if (tx < xmin) applied.delete(id)
  }

  function forgetOld(now: number) {
    for (const [key, at] of revoked) if (now - at > MAX_AGE_MS + RESYNC_MS) revoked.delete(key)
  }

  return {
    fresh() {
      if (!started && !stopped) {
        started = true
        void poll()
      }
      return performance.now() - lastGood <= FRESH_MS
    },
    now: () => performance.now(),
    holds(since, keys) {
      if (since < epoch || performance.now() - since > MAX_AGE_MS) return false
      for (const key of keys) {
        const at = revoked.get(key)
        if (at !== undefined && at >= since) return false
      }
      return true
    },
    stop() {
      stopped = true
      clearTimeout(timer)
    },
  }
}
