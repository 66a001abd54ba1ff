import { Counter, Gauge, Histogram } from 'prom-client'
import { processMetrics } from './registry.js'

const runs = new Counter({
  name: 'gateway_job_runs_total',
  help: 'Runs of each background job in this process, by outcome.',
  labelNames: ['job', 'outcome'] as const,
  registers: [processMetrics],
})
const durations = new Histogram({
  name: 'gateway_job_duration_seconds',
  help: 'How long each background job run took.',
  labelNames: ['job'] as const,
  buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300],
  registers: [processMetrics],
})

type Job = { name: string; everyMs: number; run: () => Promise<unknown> }
const schedule = new Map<string, { everyMs: number; lastStart: number }>()
const startedAt = Date.now()

// Lag: how far past its interval a job has gone without starting again (0 while on time). A
// job stuck in a run, or a process whose timers starve, shows here before mail piles up.
new Gauge({
  name: 'gateway_job_lag_seconds',
  help: 'Seconds a background job is overdue: time since its last start beyond its interval.',
  labelNames: ['job'] as const,
  registers: [processMetrics],
  collect() {
    this.reset()
    const now = Date.now()
    for (const [job, { everyMs, lastStart }] of schedule)
      this.set({ job }, Math.max(0, now - lastStart - everyMs) / 1000)
  },
})

/** Wraps a job's run (src/jobs/runner.ts) to count it, time it and track its lag. */
export function instrumentJob(job: Job): void {
  const run = job.run
  schedule.set(job.name, { everyMs: job.everyMs, lastStart: startedAt })
  job.run = async () => {
    const entry = schedule.get(job.name)
    if (entry) entry.lastStart = Date.now()
    const stop = durations.startTimer({ job: job.name })
    try {
      const result = await run()
      runs.inc({ job: job.name, outcome: 'succeeded' })
      return result
    } catch (error) {
      runs.inc({ job: job.name, outcome: 'failed' })
      throw error
    } finally {
      stop()
    }
  }
}
