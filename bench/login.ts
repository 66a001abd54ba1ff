// Login throughput of a running gateway on PostgreSQL, against the raw argon2id verify rate with
// the same parameters and against Better Auth's email + password sign-in (its own process and
// database on the same PostgreSQL, the same hash through its password hook), the three measured
// alternately in one run (issues 3 and 13). Beside each rate: CPU per login of the server's main
// thread, of all its threads, and of its PostgreSQL backends, read from /proc.
// Run: npx tsx bench/login.ts
// Env: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres), BENCH_SECONDS
// (10 per phase, each after 2 s of untimed load), BENCH_ROUNDS (2), BENCH_NODE_ARGS (the gateway's node, e.g. --cpu-prof),
// BA_RATE_LIMIT ('database', as the gateway keeps its counts; 'memory': one process only).
import { fork } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { readdirSync, readFileSync } from 'node:fs'
import { request } from 'node:http'
import { availableParallelism, loadavg } from 'node:os'
import { setTimeout as sleep } from 'node:timers/promises'
import { hash, verify } from '@node-rs/argon2'
import autocannon from 'autocannon'
import pg from 'pg'
import { DEFAULT_ARGON2_PARAMS } from '../src/identity/hashing.js'
import { benchGateway, seedBenchTenant } from './support.js'

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2)
const WARM_UP_SECONDS = 2
const ADMIN_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const USERS = 200
const PASSWORD = 'correct horse battery staple 42'
const cores = availableParallelism()

/** argon2id verifications/s at concurrency = cores, the ceiling any login can reach. */
async function rawVerify(encoded: string) {
  const latencies: number[] = []
  const deadline = Date.now() + SECONDS * 1000
  await Promise.all(
    Array.from({ length: cores }, async () => {
      while (Date.now() < deadline) {
        const t = performance.now()
        await verify(encoded, PASSWORD)
        latencies.push(performance.now() - t)
      }
    }),
  )
  latencies.sort((a, b) => a - b)
  const at = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0
  return { rps: latencies.length / SECONDS, p50: at(0.5), p99: at(0.99) }
}

/** What a sign-in request looks like to one server: where it goes, its body, what success is. */
type Target = {
  name: string
  port: number
  path: string
  headers: Record<string, string>
  body: (email: string) => string
  success: `${number}`
}

function loginLoad(target: Target, extra: Partial<autocannon.Options> = {}) {
  let n = 0
  return autocannon({
    url: `http://127.0.0.1:${target.port}${target.path}`,
    method: 'POST',
    connections: cores * 3,
    duration: SECONDS,
    headers: target.headers,
    requests: [
      {
        setupRequest: (req) => {
          const i = n++
          // Behind a load balancer clients come from many addresses (TRUST_PROXY=loopback).
          req.headers = {
            ...req.headers,
            'x-forwarded-for': `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
          }
          req.body = target.body(`user${i % USERS}@bench.test`)
          return req
        },
      },
    ],
    ...extra,
  })
}

// --- CPU time from /proc (Linux; 100 clock ticks per second) ---

const ticksOf = (statPath: string) => {
  try {
    const stat = readFileSync(statPath, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) * 10
  } catch {
    return 0 // gone
  }
}

/** PostgreSQL backends serving `database` (their process title names it), by pid. */
function backendsOf(database: string): Map<string, number> {
  const times = new Map<string, number>()
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue
    try {
      const title = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
      if (title.startsWith('postgres: ') && title.includes(` ${database} `))
        times.set(pid, ticksOf(`/proc/${pid}/stat`))
    } catch {
      // not ours to read, or gone
    }
  }
  return times
}

/** CPU ms so far: the server's main thread, all its threads, its database's backends. */
function cpuNow(server: { pid: number; database: string }) {
  return {
    main: ticksOf(`/proc/${server.pid}/task/${server.pid}/stat`),
    all: ticksOf(`/proc/${server.pid}/stat`),
    postgres: backendsOf(server.database),
  }
}

function cpuSince(before: ReturnType<typeof cpuNow>, after: ReturnType<typeof cpuNow>) {
  let postgres = 0
  for (const [pid, ms] of after.postgres) postgres += ms - (before.postgres.get(pid) ?? 0)
  return { main: after.main - before.main, all: after.all - before.all, postgres }
}

type Server = Target & { pid: number; database: string }
type Totals = { logins: number; main: number; all: number; postgres: number; rates: number[] }

const fmt = (n: number, width = 8, digits = 1) => n.toFixed(digits).padStart(width)
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')

async function phase(server: Server, totals: Totals) {
  // Untimed: the pools drop connections idle for 10 s (pg's default), as they are during the
  // other phases; a timed phase would otherwise pay for new PostgreSQL backends and their caches.
  await loginLoad(server, { duration: WARM_UP_SECONDS })
  // The requests autocannon cut off at its end are still being served: let them finish.
  await sleep(1000)
  const before = cpuNow(server)
  const result = await loginLoad(server)
  const cpu = cpuSince(before, cpuNow(server))
  const ok = result.statusCodeStats?.[server.success]?.count ?? 0
  totals.logins += ok
  totals.main += cpu.main
  totals.all += cpu.all
  totals.postgres += cpu.postgres
  totals.rates.push(ok / SECONDS)
  const per = (ms: number) => fmt(ok ? ms / ok : 0, 7, 2)
  console.log(
    `${server.name.padEnd(14)} ${fmt(ok / SECONDS)} ${fmt(result.latency.p50)} ${fmt(result.latency.p99)} ${String(result.requests.total - ok).padStart(7)}  ${per(cpu.main)} ${per(cpu.all)} ${per(cpu.postgres)}`,
  )
}

async function admin(statement: string) {
  const client = new pg.Client({ connectionString: ADMIN_URL })
  await client.connect()
  await client.query(statement).finally(() => client.end())
}

/** Better Auth in a process of its own on a fresh database; ready once it sends its port. */
async function betterAuthServer() {
  const database = `gateway_bench_ba_${randomBytes(4).toString('hex')}`
  await admin(`create database ${database}`)
  const url = new URL(ADMIN_URL)
  url.pathname = `/${database}`
  const child = fork(new URL('./login-better-auth.ts', import.meta.url).pathname, {
    env: {
      ...process.env,
      BA_DATABASE_URL: url.toString(),
      BA_USERS: String(USERS),
      BA_PASSWORD: PASSWORD,
    },
    execArgv: ['--import', 'tsx'],
    // Its output is shown if it fails to start; later, it only reports the requests autocannon
    // cuts off at the end of each phase (ECONNRESET), and failed sign-ins are counted anyway.
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  })
  let output = ''
  child.stdout?.on('data', (d) => (output += d))
  child.stderr?.on('data', (d) => (output += d))
  const exited = once(child, 'exit').then(([code]) => {
    throw new Error(`the Better Auth server exited with ${code} before it was ready:\n${output}`)
  })
  const [port] = (await Promise.race([once(child, 'message'), exited])) as [number]
  exited.catch(() => undefined)
  child.stdout?.removeAllListeners('data').resume()
  child.stderr?.removeAllListeners('data').resume()
  const server: Server = {
    name: 'Better Auth',
    port,
    pid: child.pid ?? 0,
    database,
    path: '/api/auth/sign-in/email',
    headers: { 'content-type': 'application/json' },
    body: (email) => JSON.stringify({ email, password: PASSWORD }),
    success: '200',
  }
  return {
    server,
    async close() {
      child.kill()
      await once(child, 'exit').catch(() => undefined)
      await admin(`drop database if exists ${database} with (force)`)
    },
  }
}

async function main() {
  console.log(`load average before: ${load()}`)
  const bench = await benchGateway({
    TRUST_PROXY: 'loopback',
    PUBLIC_URL_TEMPLATE: 'http://{host}',
  })
  const peer = await betterAuthServer().catch(async (err: unknown) => {
    await bench.close()
    throw err
  })
  try {
    const emails = Array.from({ length: USERS }, (_, i) => `user${i}@bench.test`)
    const { db } = await seedBenchTenant(bench.databaseUrl, bench.secretKey, emails, PASSWORD)
    await db.destroy()
    await bench.ready()
    const csrf = await fetchCsrf(bench.gw.port)
    const gateway: Server = {
      name: 'POST /login',
      port: bench.gw.port,
      pid: bench.gw.child.pid ?? 0,
      database: new URL(bench.databaseUrl).pathname.slice(1),
      path: '/login',
      headers: {
        host: 'bench.localhost',
        cookie: csrf.cookie,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: (email) =>
        new URLSearchParams({ email, password: PASSWORD, _csrf: csrf.token }).toString(),
      success: '303',
    }
    const encoded = await hash(PASSWORD, { algorithm: 2, ...DEFAULT_ARGON2_PARAMS })

    console.log(
      `cores ${cores}, ${SECONDS} s per phase, ${ROUNDS} rounds, ${cores * 3} connections, ${USERS} users, argon2id m=${DEFAULT_ARGON2_PARAMS.memoryCost} t=${DEFAULT_ARGON2_PARAMS.timeCost} p=${DEFAULT_ARGON2_PARAMS.parallelism}, Better Auth rate limits in ${process.env.BA_RATE_LIMIT === 'memory' ? 'memory' : 'the database'}`,
    )
    console.log('                                                   CPU ms per login')
    console.log('phase             req/s   p50 ms   p99 ms  failed     main  threads  postgres')
    const raws: number[] = []
    const totals = (): Totals => ({ logins: 0, main: 0, all: 0, postgres: 0, rates: [] })
    const ours = totals()
    const theirs = totals()
    for (let round = 0; round < ROUNDS; round++) {
      const raw = await rawVerify(encoded)
      raws.push(raw.rps)
      console.log(`raw verify     ${fmt(raw.rps)} ${fmt(raw.p50)} ${fmt(raw.p99)}`)
      // Alternate which server goes first, so neither always follows the raw phase.
      const order = round % 2 === 0 ? [gateway, peer.server] : [peer.server, gateway]
      for (const server of order) await phase(server, server === gateway ? ours : theirs)
    }
    const per = (t: Totals, key: 'main' | 'all' | 'postgres') =>
      (t.logins ? t[key] / t.logins : 0).toFixed(2)
    const rate = mean(ours.rates)
    console.log(
      `\ngateway:     ${rate.toFixed(1)} logins/s = ${((rate / mean(raws)) * 100).toFixed(1)} % of raw verify (goal >= 80 %); CPU per login: main thread ${per(ours, 'main')} ms (goal <= 1.0), all threads ${per(ours, 'all')} ms, PostgreSQL ${per(ours, 'postgres')} ms (goal <= 0.8)`,
    )
    const peerRate = mean(theirs.rates)
    console.log(
      `Better Auth: ${peerRate.toFixed(1)} logins/s = ${((peerRate / mean(raws)) * 100).toFixed(1)} % of raw verify; CPU per login: main thread ${per(theirs, 'main')} ms, all threads ${per(theirs, 'all')} ms, PostgreSQL ${per(theirs, 'postgres')} ms`,
    )
    console.log(`gateway / Better Auth: ${(rate / peerRate).toFixed(2)}x (goal >= 1.2x)`)

    const lone = await loginLoad(gateway, { connections: 1, duration: 5 })
    const at70 = await loginLoad(gateway, { overallRate: Math.max(1, Math.floor(rate * 0.7)) })
    console.log(
      `lone login p50 ${lone.latency.p50.toFixed(1)} ms; at 70 % of peak (${Math.floor(rate * 0.7)} req/s) p99 ${at70.latency.p99.toFixed(1)} ms = ${(at70.latency.p99 / lone.latency.p50).toFixed(1)}x (goal < 5x)`,
    )
    console.log(`load average after: ${load()}`)
  } finally {
    await peer.close()
    await bench.close()
  }
}

async function fetchCsrf(port: number) {
  return new Promise<{ cookie: string; token: string }>((resolve, reject) => {
    request(
      { host: '127.0.0.1', port, path: '/login', headers: { host: 'bench.localhost' } },
      (res) => {
        let body = ''
        res.on('data', (d) => (body += d))
        res.on('end', () => {
          const cookie = (res.headers['set-cookie'] ?? []).map((c) => c.split(';')[0]).join('; ')
          const token = /name="_csrf" value="([^"]+)"/.exec(body)?.[1]
          if (!token) reject(new Error(`no CSRF token on /login (status ${res.statusCode})`))
          else resolve({ cookie, token })
        })
      },
    )
      .on('error', reject)
      .end()
  })
}

await main()
