import type { Server } from 'node:http'
import { createApp } from './app.js'
import { managementApp } from './http/management.js'
import { httpServer } from './http/server.js'
import { createHasher } from './identity/hashing.js'
import { startJobs } from './jobs/runner.js'
import { createMailer } from './mail/smtp.js'
import type { Config, RuntimeConfig } from './config.js'
import { DEMO_ADMIN_LINK_TTL, type FirstRun, firstRun, firstRunNotes } from './console/first-run.js'
import { createDb, type Db, dbOn, JOB_SESSION_LIMITS } from './db/database.js'
import { describeDatabaseError } from './db/errors.js'
import { migrateToLatest } from './db/migrate.js'
import { type SharedPglite, sharePglite } from './db/pglite-share.js'
import type { Readiness } from './db/readiness.js'
import type { Log } from './log.js'
import { resolveSecretKey } from './secret-key.js'
import { listTenants, type TenantSummary } from './tenants/tenants.js'
import { checkSecretKey } from './tokens/keys.js'

// SIGTERM to exit within 10 s (what orchestrators wait before SIGKILL): in-flight requests get
// 7 s, then the jobs' item in hand and closing the database share the rest.
const SHUTDOWN_BUDGET_MS = 10_000
const REQUEST_GRACE_MS = 7_000

/** `gateway serve`: listen at once, bring the database up in the background, stop gracefully. */
export async function serve(loaded: Config, log: Log): Promise<void> {
  const config = Object.freeze({
    ...loaded,
    secretKey: resolveSecretKey(loaded.secretKey, loaded.dataDir, log),
  })
  const { db, close: closeDb, description, pglite } = createDb(config.databaseUrl, config.dataDir)
  const readiness: Readiness = { migrated: false }
  const app = createApp({ config, db, log, readiness, hasher: createHasher() })
  const server = await listen(httpServer(app), config.port, config.host)
  const management =
    config.managementPort === undefined
      ? undefined
      : await listen(
          httpServer(managementApp(db, readiness, log)),
          config.managementPort,
          config.host,
        ).catch(async (error: unknown) => {
          // A taken MANAGEMENT_PORT stops the start: the open public listener would keep the
          // process alive, serving tenants no operator can watch.
          server.close()
          // PGlite still starting would set process.exitCode when it finishes (Emscripten).
          await pglite?.waitReady.catch(() => {})
          await closeDb()
          throw error
        })
  log.info(
    {
      port: config.port,
      host: config.host ?? 'all interfaces',
      managementPort: config.managementPort,
      database: description,
    },
    'gateway listening',
  )
  let shared: SharedPglite | undefined
  // Stopped after the public listener drained: the probes and metrics answer to the end.
  const close = async () => {
    await shared?.stop()
    management?.closeAllConnections()
    await new Promise((resolve) => (management ? management.close(resolve) : resolve(undefined)))
    await closeDb()
  }
  const shareWithCommands = async () => {
    if (!pglite) return
    shared = await sharePglite(pglite, db, config.dataDir).catch((error: Error) => {
      log.warn(`gateway commands cannot reach this server's embedded database: ${error.message}`)
      return undefined
    })
  }

  const mailer = config.smtpUrl ? createMailer(config.smtpUrl) : undefined
  if (!mailer)
    log.warn(
      `SMTP_URL is not set: mail stays in the outbox; read it at ${config.publicUrlTemplate}/dev/mailbox`,
    )
  let jobs: ReturnType<typeof startJobs> | undefined
  // On PostgreSQL the jobs have a small pool of their own, with their longer statement bound
  // (database.ts, JOB_SESSION_LIMITS); the embedded database has one connection for everything.
  const jobsDb = config.databaseUrl
    ? dbOn({ url: config.databaseUrl, limits: JOB_SESSION_LIMITS, max: 3 })
    : undefined
  const closeAll = async () => (mailer?.close(), await jobsDb?.destroy(), await close())
  const starting = bringUp(db, config, log, readiness, () => {
    jobs = startJobs({ db: jobsDb ?? db, config, log, templates: config.mailTemplates, mailer })
    void shareWithCommands()
  })
  await new Promise<void>((resolve, reject) => {
    // A start that cannot serve (a wrong SECRET_KEY) stops; `gateway serve` exits with the reason.
    void starting.refused.then((reason) =>
      shutdown(server, { close: closeAll }, log).then(() => reject(new Error(reason))),
    )
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => {
        log.info({ signal }, 'shutting down')
        starting.stop()
        void shutdown(server, { stopJobs: () => jobs?.stop(), close: closeAll }, log).then(resolve)
      })
    }
  })
}

/** Listens on `host` (undefined: every interface), resolving once bound. */
async function listen(server: Server, port: number, host: string | undefined): Promise<Server> {
  server.listen(port, host)
  await new Promise<void>((resolve, reject) =>
    server.once('listening', resolve).once('error', reject),
  )
  return server
}

// A database that is down at start is waited for, not fatal: /readyz says 503 until it is back.
function bringUp(
  db: Db,
  config: RuntimeConfig,
  log: Log,
  readiness: Readiness,
  onReady: () => void,
) {
  let stopped = false
  let timer: NodeJS.Timeout | undefined
  let refuse = (_reason: string) => {}
  const refused = new Promise<string>((resolve) => (refuse = resolve))
  const attempt = async (delayMs: number): Promise<void> => {
    if (stopped) return
    try {
      const applied = await migrateToLatest(db)
      if (applied.length > 0) log.info({ applied }, 'migrations applied')
      const secret = await checkSecretKey(db, config.secretKey)
      if (!secret.ok) return refuse(secret.reason)
      const first = await firstRun(db, config)
      if (first.platformProblem) log.warn(first.platformProblem)
      if (first.firstProblem) log.warn(first.firstProblem)
      // Ready once the first run's tenant exists: a probe that sees 200 finds it.
      readiness.migrated = true
      announce(log, config, first, await listTenants(db, config))
      onReady()
    } catch (error) {
      log.error(
        `database not ready: ${describeDatabaseError(error)}; retrying in ${delayMs / 1000} s`,
      )
      timer = setTimeout(() => void attempt(Math.min(delayMs * 2, 10_000)), delayMs)
    }
  }
  void attempt(1_000)
  return { stop: () => ((stopped = true), clearTimeout(timer)), refused }
}

function announce(log: Log, config: Config, first: FirstRun, tenants: TenantSummary[]) {
  const demo = first.demo
  if (demo) {
    const { tenant, key, admin } = demo
    log.info(
      `first run: created the demo tenant "${tenant.slug}". Its admin API key (shown once): ${key}\n` +
        `  invite someone: curl -H 'Authorization: Bearer ${key}' -H 'content-type: application/json' ` +
        `-d '{"emails": "you@example.com"}' http://localhost:${config.port}/admin/api/v1/tenants/${tenant.slug}/invitations\n` +
        `  then read the mail at ${tenant.publicUrl}/dev/mailbox` +
        (admin && admin.status !== 'already_member'
          ? `\n  sign in to the admin console as ${admin.email} (one-time link, valid ${DEMO_ADMIN_LINK_TTL}; ` +
            `choose a password, then open ${tenant.publicUrl}/admin): ${admin.link}`
          : ''),
    )
  }
  for (const note of firstRunNotes(first, config)) log.info(note)
  if (first.platform?.created)
    log.info(
      `created the platform tenant at ${first.platform.tenant.publicUrl}/admin; ` +
        'invite its first admin with `npx gateway admin create --email ADDRESS`',
    )
  const shown = tenants.slice(0, 10).map((t) => `  ${t.slug.padEnd(16)} ${t.publicUrl}/`)
  const more =
    tenants.length > 10 ? [`  … and ${tenants.length - 10} more (gateway tenant list)`] : []
  log.info(['gateway ready; open a tenant:', ...shown, ...more].join('\n'))
}

/**
 * Stops taking work at once (new connections, new jobs), lets in-flight requests finish for
 * REQUEST_GRACE_MS and the jobs their item in hand, then closes the database. A stop that still
 * hangs at the budget (a statement that will not end) exits anyway: the next process, or this
 * one restarted, picks up whatever was not committed.
 */
async function shutdown(
  server: Server,
  parts: { stopJobs?: () => Promise<void> | undefined; close: () => Promise<void> },
  log: Log,
): Promise<void> {
  const started = Date.now()
  const deadline = setTimeout(() => {
    log.error(`still stopping after ${SHUTDOWN_BUDGET_MS / 1000} s: exiting now`)
    process.exit(1)
  }, SHUTDOWN_BUDGET_MS - 250)
  deadline.unref()
  // Before draining, not after: the outbox sender must not go on claiming mail meanwhile.
  const jobsStopped = Promise.resolve(parts.stopJobs?.()).catch((error: unknown) =>
    log.error({ err: error }, 'stopping the jobs failed'),
  )
  const force = setTimeout(() => {
    log.warn(`requests still running after ${REQUEST_GRACE_MS / 1000} s: closing their connections`)
    server.closeAllConnections()
  }, REQUEST_GRACE_MS)
  force.unref()
  server.closeIdleConnections()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  clearTimeout(force)
  await jobsStopped
  await parts.close().catch((error) => log.error({ err: error }, 'closing the database failed'))
  clearTimeout(deadline)
  log.info({ stoppingMs: Date.now() - started }, 'stopped')
}
