import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { pgbouncerConnectQuery } from '../../src/db/database.js'
import { freePort } from './process.js'

// The production topology on this machine without Docker (docker-compose.yml's, with Debian's
// packages): PgBouncer in transaction pooling mode before PostgreSQL, HAProxy before the gateways.
export const PGBOUNCER = '/usr/sbin/pgbouncer'
export const HAPROXY = '/usr/sbin/haproxy'
// .ci/run installs both packages and sets E2E_REQUIRED=1, so CI can never skip what needs them.
export const hasTopologyBinaries =
  (existsSync(PGBOUNCER) && existsSync(HAPROXY)) || process.env.E2E_REQUIRED === '1'

type Daemon = {
  child: ChildProcess
  port: number
  output: () => string
  stop: () => Promise<void>
}

/** Runs `bin args` with its files in `dir`; `stop()` ends it and removes the directory. */
function daemon(
  bin: string,
  args: string[],
  dir: string,
  port: number,
  as?: { uid: number; gid: number },
): Daemon {
  const child = spawn(bin, args, { stdio: 'pipe', ...as })
  let output = ''
  child.stdout?.on('data', (d) => (output += d))
  child.stderr?.on('data', (d) => (output += d))
  const exited = once(child, 'exit')
  return {
    child,
    port,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
      await exited
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/**
 * Polls `probe` until it holds. No deadline of its own (the test's timeout is the one, as for a
 * spawned gateway): the sign that it will never hold is the daemon's exit, reported with its output.
 */
async function until(d: Daemon, probe: () => Promise<boolean>, label: string): Promise<void> {
  while (d.child.exitCode === null && d.child.signalCode === null) {
    if (await probe().catch(() => false)) return
    await new Promise((r) => setTimeout(r, 100))
  }
  await d.stop() // its files go with it
  throw new Error(`${label} exited (${d.child.exitCode}) before it was ready:\n${d.output()}`)
}

// PgBouncer refuses to run as root (CI runs as root): then it runs as nobody, owning its files.
function unprivileged(dir: string): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('nobody:'))
  const [, , uid, gid] = (line ?? '').split(':')
  if (!uid || !gid) throw new Error('no user "nobody" to run pgbouncer as')
  const as = { uid: Number(uid), gid: Number(gid) }
  chownSync(dir, as.uid, as.gid)
  return as
}

export type Pgbouncer = Daemon & {
  /** The same database as `serverUrl`, through PgBouncer. */
  url: string
  /** A row set of PgBouncer's admin console: `SHOW POOLS`, `SHOW STATS`… */
  show: (what: string) => Promise<Record<string, unknown>[]>
}

/**
 * A private PgBouncer on a free loopback port in front of `serverUrl`'s database, in transaction
 * pooling mode with `poolSize` server connections: every client (the gateways' pools) shares
 * those few, so a session state left in one surfaces in another client's transaction.
 */
export async function startPgbouncer(serverUrl: string, poolSize = 3): Promise<Pgbouncer> {
  const server = new URL(serverUrl)
  const database = server.pathname.slice(1)
  const user = decodeURIComponent(server.username)
  const dir = mkdtempSync(join(tmpdir(), 'gateway-pgbouncer-'))
  const port = await freePort()
  writeFileSync(join(dir, 'userlist.txt'), `"${user}" ""\n`)
  writeFileSync(
    join(dir, 'pgbouncer.ini'),
    [
      '[databases]',
      // The gateway's session bounds (src/db/database.ts), which PgBouncer will not pass on.
      `${database} = host=${server.hostname} port=${server.port || 5432} dbname=${database} connect_query=${pgbouncerConnectQuery()}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      // The test server trusts loopback; PgBouncer checks the user against userlist.txt.
      'auth_type = trust',
      `auth_file = ${join(dir, 'userlist.txt')}`,
      `admin_users = ${user}`,
      'pool_mode = transaction',
      'ignore_startup_parameters = options',
      `default_pool_size = ${poolSize}`,
      'max_client_conn = 200',
      `pidfile = ${join(dir, 'pgbouncer.pid')}`,
      '',
    ].join('\n'),
  )
  const d = daemon(PGBOUNCER, [join(dir, 'pgbouncer.ini')], dir, port, unprivileged(dir))
  const url = `postgres://${encodeURIComponent(user)}@127.0.0.1:${port}/${database}`
  const query = async (target: string, text: string) => {
    const client = new pg.Client({ connectionString: target })
    await client.connect()
    try {
      return (await client.query(text)).rows as Record<string, unknown>[]
    } finally {
      await client.end()
    }
  }
  await until(d, async () => (await query(url, 'select 1')).length === 1, 'pgbouncer')
  const admin = `postgres://${encodeURIComponent(user)}@127.0.0.1:${port}/pgbouncer`
  return { ...d, url, show: (what) => query(admin, `SHOW ${what}`) }
}

/** One request as HAProxy logged it: the gateway that served it, and what it was. */
export type Hop = { server: string; method: string; path: string; status: number }

export type Haproxy = Daemon & {
  /** Every request HAProxy passed on so far, in the order it logged them. */
  hops: () => Hop[]
  /** Whether HAProxy's health check sees each gateway up: `server name -> UP | DOWN …`. */
  states: () => Promise<Record<string, string>>
}

/**
 * A private HAProxy on `port` balancing round robin over `backends`, each request on its own
 * (the server side closed after every response), checking each backend's /readyz as compose's
 * does (deploy/haproxy.cfg). It logs one line per request naming the backend that served it.
 */
export async function startHaproxy(
  port: number,
  backends: { name: string; port: number }[],
): Promise<Haproxy> {
  const dir = mkdtempSync(join(tmpdir(), 'gateway-haproxy-'))
  const socket = join(dir, 'admin.sock')
  writeFileSync(
    join(dir, 'haproxy.cfg'),
    [
      'global',
      '  log stdout format raw local0',
      `  stats socket ${socket} mode 600 level admin`,
      'defaults',
      '  mode http',
      '  log global',
      '  log-format "hop %s %HM %HP %ST"',
      '  timeout connect 5s',
      '  timeout client 60s',
      '  timeout server 60s',
      '  option http-server-close',
      '  option forwardfor',
      'frontend public',
      `  bind 127.0.0.1:${port}`,
      '  default_backend gateways',
      'backend gateways',
      '  balance roundrobin',
      '  option httpchk',
      '  http-check send meth GET uri /readyz ver HTTP/1.1 hdr Host localhost',
      '  http-check expect status 200',
      '  default-server inter 1s fall 2 rise 1',
      ...backends.map((b) => `  server ${b.name} 127.0.0.1:${b.port} check`),
      '',
    ].join('\n'),
  )
  const d = daemon(HAPROXY, ['-db', '-f', join(dir, 'haproxy.cfg')], dir, port)
  const command = (line: string) =>
    new Promise<string>((resolve, reject) => {
      let answer = ''
      const s = connect(socket)
      s.on('data', (chunk) => (answer += chunk))
      s.once('end', () => resolve(answer))
      s.once('error', reject)
      s.end(`${line}\n`)
    })
  // Asked on its admin socket, which opens with the listeners: a probe of the public port
  // would log a request of its own.
  await until(d, async () => (await command('show info')).includes('Name: HAProxy'), 'haproxy')
  return {
    ...d,
    hops: () =>
      [...d.output().matchAll(/^hop (\S+) (\S+) (\S+) (\d+)$/gm)].map((m) => ({
        server: m[1]!,
        method: m[2]!,
        path: m[3]!,
        status: Number(m[4]),
      })),
    // `show stat` is CSV: column 2 the server's name, `status` its health.
    states: async () => {
      const [header = '', ...rows] = (await command('show stat')).trim().split('\n')
      const columns = header.replace(/^# /, '').split(',')
      const at = (name: string) => columns.indexOf(name)
      return Object.fromEntries(
        rows
          .map((r) => r.split(','))
          .filter((r) => r[at('pxname')] === 'gateways' && r[at('svname')] !== 'BACKEND')
          .map((r) => [r[at('svname')]!, r[at('status')]!]),
      )
    },
  }
}

/** Polls until HAProxy's checks see every backend up; the test's timeout bounds it. */
export async function untilAllUp(haproxy: Haproxy): Promise<void> {
  await until(
    haproxy,
    async () => {
      const states = Object.values(await haproxy.states())
      return states.length > 0 && states.every((s) => s === 'UP')
    },
    'haproxy (backends up)',
  )
}
