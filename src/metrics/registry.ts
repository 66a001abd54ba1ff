import { collectDefaultMetrics, Registry } from 'prom-client'

/**
 * The process's metrics fed by events (requests, sign-ins, grants, job runs). One per process,
 * like the events: the management listener adds its database's scrape-time gauges beside it
 * (management.ts). Not prom-client's global register, so nothing else registers into it.
 */
export const processMetrics = new Registry()

// Process CPU, memory, file descriptors, event-loop delay, GC: Node's usual series.
collectDefaultMetrics({ register: processMetrics })

/** A label value from a closed vocabulary of lower_snake words; anything else is 'other'. */
export const word = (value: unknown): string =>
  typeof value === 'string' && /^[a-z][a-z0-9_]{0,39}$/.test(value) ? value : 'other'
