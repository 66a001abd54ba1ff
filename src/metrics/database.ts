import { Gauge, Registry } from 'prom-client'
import type { Db } from '../db/database.js'
import { poolStatsOf } from '../db/pool-stats.js'
import { findOutboxBacklog } from './metrics.queries.js'

type Backlog = Awaited<ReturnType<typeof findOutboxBacklog>>

/**
 * The gauges read from `db` when Prometheus scrapes: pool use, and the outbox backlog (one cheap
 * query). Every process reports the same outbox: aggregate it with max(), not sum().
 */
export function databaseMetrics(db: Db): Registry {
  const registry = new Registry()
  new Gauge({
    name: 'gateway_db_pool_connections',
    help: 'PostgreSQL pool connections by state (total, idle, waiting clients); PGlite: in_flight.',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      const stats = poolStatsOf(db)
      if (stats?.kind === 'pg') {
        this.set({ state: 'total' }, stats.total)
        this.set({ state: 'idle' }, stats.idle)
        this.set({ state: 'waiting' }, stats.waiting)
      } else if (stats?.kind === 'pglite') this.set({ state: 'in_flight' }, stats.inFlight)
    },
  })
  // One query feeds three gauges. prom-client runs their collect() side by side in one scrape,
  // so they share the query in flight.
  let reading: Promise<Backlog | undefined> | undefined
  const backlog = () =>
    (reading ??= findOutboxBacklog(db, new Date())
      .catch(() => undefined)
      .finally(() => (reading = undefined)))
  new Gauge({
    name: 'gateway_db_up',
    help: '1 when the scrape could query the database, 0 when it could not.',
    registers: [registry],
    async collect() {
      // An outage is what the operator looks at then: the scrape still answers, saying so.
      this.set((await backlog()) ? 1 : 0)
    },
  })
  new Gauge({
    name: 'gateway_outbox_pending',
    help: 'Mail waiting in the outbox to be sent.',
    registers: [registry],
    async collect() {
      const b = await backlog()
      if (b) this.set(b.pending)
      else this.remove() // no figure rather than a false 0
    },
  })
  new Gauge({
    name: 'gateway_outbox_oldest_pending_age_seconds',
    help: 'Age of the oldest mail waiting in the outbox (0 when none waits).',
    registers: [registry],
    async collect() {
      const b = await backlog()
      if (b) this.set(b.oldestAgeSeconds)
      else this.remove() // no figure rather than a false 0
    },
  })
  return registry
}
