import { purgeAuditEvents } from '../audit/purge-audit.js'
import type { RuntimeConfig } from '../config.js'
import type { Db } from '../db/database.js'
import type { Log } from '../log.js'
import type { Mailer } from '../mail/smtp.js'
import type { MailDefaults } from '../mail/templates.js'
import { sendCertificateNotices } from './certificate-notices.js'
import { cleanUp } from './cleanup.js'
import { outboxLogger } from './log-outbox.js'
import { purgeNeverActivated } from './purge.js'
import { refreshSamlMetadata } from './refresh-saml-metadata.js'
import { remindPendingInvitations } from './remind-invitations.js'
import { sendDueMail } from './send-outbox.js'
import { runImports } from '../imports/run.js'
import { instrumentJob } from '../metrics/jobs.js'

type Job = { name: string; everyMs: number; run: () => Promise<unknown> }

/**
 * Runs each job on its own timer, never overlapping itself in this process. Across processes
 * each job is safe by construction (SKIP LOCKED rows, idempotent deletes), so every gateway
 * process runs the same jobs and each piece of work happens once.
 */
export function startJobs(deps: {
  db: Db
  config: RuntimeConfig
  log: Log
  templates: MailDefaults
  mailer?: Mailer
}) {
  const { db, config, log } = deps
  // Aborted by stop(): the jobs that loop over work (mail, imports) take no more of it.
  const stopping = new AbortController()
  const signal = stopping.signal
  const jobs: Job[] = [
    {
      name: 'remind-invitations',
      everyMs: 5 * 60_000,
      run: () =>
        remindPendingInvitations(db, {
          secretKey: config.secretKey,
          urls: config,
        }),
    },
    { name: 'purge-never-activated', everyMs: 60 * 60_000, run: () => purgeNeverActivated(db) },
    { name: 'purge-audit-log', everyMs: 60 * 60_000, run: () => purgeAuditEvents(db) },
    { name: 'cleanup', everyMs: 10 * 60_000, run: () => cleanUp(db) },
    // Each directory is refreshed once a day whatever the tick; ticks only find the due ones.
    {
      name: 'refresh-saml-metadata',
      everyMs: 15 * 60_000,
      run: () => refreshSamlMetadata(db, { development: !config.isProduction, log }),
    },
    {
      name: 'certificate-notices',
      everyMs: 60 * 60_000,
      run: () => sendCertificateNotices(db, { secretKey: config.secretKey, urls: config, log }),
    },
    // CSV imports (issue 12): staged by the upload, applied here under a lease by any process.
    {
      name: 'apply-imports',
      everyMs: 2_000,
      run: () => runImports(db, { secretKey: config.secretKey, urls: config, log, signal }),
    },
  ]
  const mailer = deps.mailer
  if (!mailer && !config.isProduction) {
    const run = outboxLogger(db, { secretKey: config.secretKey, templates: deps.templates }, log)
    jobs.push({ name: 'log-outbox', everyMs: 2_000, run })
  }
  if (mailer) {
    const from = { address: config.mailFrom }
    jobs.push({
      name: 'send-outbox',
      everyMs: 5_000,
      run: () =>
        sendDueMail(db, {
          mailer,
          secretKey: config.secretKey,
          templates: deps.templates,
          from,
          signal,
        }),
    })
  }

  for (const job of jobs) instrumentJob(job) // runs, durations and lag (metrics/jobs.ts)
  const timers = jobs.map((job) => {
    let running: Promise<void> | undefined
    const tick = () => {
      if (signal.aborted) return
      running ??= job
        .run()
        .then((result) => log.debug({ job: job.name, result }, 'job done'))
        .catch((error: unknown) => log.error({ job: job.name, err: error }, 'job failed'))
        .finally(() => (running = undefined))
    }
    const first = setTimeout(tick, 1_000)
    const timer = setInterval(tick, job.everyMs)
    return { job, first, timer, current: () => running }
  })
  return {
    /**
     * Stops at once taking work: no job starts again, the running ones finish the item in hand
     * (a mail being sent, an import's chunk) and commit it; the rest stays for other processes.
     */
    async stop() {
      stopping.abort()
      for (const t of timers) (clearTimeout(t.first), clearInterval(t.timer))
      await Promise.all(timers.map((t) => t.current()))
    },
  }
}
