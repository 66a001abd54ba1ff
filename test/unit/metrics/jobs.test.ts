import { describe, expect, it } from 'vitest'
import { instrumentJob } from '../../../src/metrics/jobs.js'
import { processMetrics } from '../../../src/metrics/registry.js'

const series = async (name: string) =>
  (await processMetrics.getSingleMetricAsString(name)).split('\n')

describe('job metrics', () => {
  it('count runs by outcome, time them, and keep the job’s result and error', async () => {
    let fail = false
    const job = {
      name: 'test-job',
      everyMs: 60_000,
      run: async () => {
        if (fail) throw new Error('boom')
        return 'done'
      },
    }
    instrumentJob(job)
    expect(await job.run()).toBe('done')
    fail = true
    await expect(job.run()).rejects.toThrow('boom')
    const runs = await series('gateway_job_runs_total')
    expect(runs).toContain('gateway_job_runs_total{job="test-job",outcome="succeeded"} 1')
    expect(runs).toContain('gateway_job_runs_total{job="test-job",outcome="failed"} 1')
    expect(await series('gateway_job_duration_seconds')).toContain(
      'gateway_job_duration_seconds_count{job="test-job"} 2',
    )
  })

  it('report a job as lagging once it has gone longer than its interval without starting', async () => {
    const job = { name: 'overdue-job', everyMs: 1, run: async () => undefined }
    instrumentJob(job)
    await job.run()
    await new Promise((r) => setTimeout(r, 30))
    const line = (await series('gateway_job_lag_seconds')).find((l) =>
      l.startsWith('gateway_job_lag_seconds{job="overdue-job"}'),
    )
    expect(Number(line?.split(' ')[1])).toBeGreaterThan(0)
    const onTime = { name: 'on-time-job', everyMs: 3_600_000, run: async () => undefined }
    instrumentJob(onTime)
    await onTime.run()
    expect(await series('gateway_job_lag_seconds')).toContain(
      'gateway_job_lag_seconds{job="on-time-job"} 0',
    )
  })
})
