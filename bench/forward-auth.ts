// Forward auth at the rate apps call it (issue 13): /auth/verify of a `gateway serve` process on
// PostgreSQL with (a) a bearer access token and (b) a session cookie, against a bare Express 5
// server in its own process answering the same route with a constant 200, under the same load
// generator, phases alternating, in one run.
//
// The load generator is wrk (C, one thread: `apt-get install wrk`), a process of its own: it
// takes a fraction of the CPU autocannon took inside this process on the same two cores, and
// its allocations and GC pauses are not the servers' tail. Without wrk the bench says so and
// stops, unless BENCH_GENERATOR=autocannon asks for the old generator (in this process; its
// figures are not comparable).
//
// Peers, each sent the gateway's very request: stock bare Express 5 (app.listen; the goal's
// peer), the same app in the gateway's own HTTP server (src/http/server.ts: requests made with
// Express's prototypes), and, when installed, HAProxy answering a constant 200 (the machine's
// floor: what the VM's scheduler and loopback leave of a tail when the server does nothing).
//
// Two kinds of phase:
// - closed loop: BENCH_CONNECTIONS connections (default 4), each sending its next request when
//   the answer came. Few connections, so the latency is the server's answer plus a short queue
//   (with c connections in flight, a server answering in t has p50 about c x t), not a queue
//   of dozens; bare Express is already saturated at 4 on two cores shared with wrk.
// - paced: the offered rate is 60 % of bare's closed-loop rate (the rate goal), spread over
//   BENCH_PACED_CONNECTIONS connections (default 32), each waiting a random 0 to 2D ms (mean D)
//   after every answer before its next request (wrk's Lua delay()). wrk has no constant-rate
//   mode: each connection's pace is per answer, so the rate offered is c / (D + latency); D is
//   set by a one-second untimed calibration run to hit the target, and the rate answered is
//   printed next to it. wrk times a request from its write, not from when it was due, so a
//   slow answer delays that connection's next request instead of counting the wait (no
//   coordinated-omission correction). autocannon's fixed rate (the old phase) sends each
//   connection's share of a second as fast as it can at the second's start: bursts that
//   queue, whatever the server.
//
// Run: npx tsx bench/forward-auth.ts
// Env: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres), BENCH_SECONDS
// (per phase, default 5), BENCH_ROUNDS (default 5), BENCH_CONNECTIONS (default 4),
// BENCH_PACED_CONNECTIONS (default 32), BENCH_PACED_ROUNDS (default 2), BENCH_GENERATOR (wrk,
// the default, or autocannon), BENCH_NODE_ARGS (to the gateway's node, e.g. '--cpu-prof
// --cpu-prof-dir=/tmp/prof'), BENCH_BARE_NODE_ARGS (to the bare servers') and
// BENCH_GATEWAY_OUTPUT (a file for what the gateway printed, e.g. with BENCH_NODE_ARGS=--trace-gc).
import { execFileSync, fork, spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { createServer } from 'node:http'
import express from 'express'
import * as client from 'openid-client'
import pg from 'pg'
import { expressPrototypes } from '../src/http/server.js'
import { createApp } from '../src/tokens/apps.js'
import { authorize, REDIRECT, tenantFetch } from '../test/support/oidc.js'
import { benchGateway, seedBenchTenant } from './support.js'

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5)
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 4)
const PACED_CONNECTIONS = Number(process.env.BENCH_PACED_CONNECTIONS ?? 32)
const PACED_ROUNDS = Number(process.env.BENCH_PACED_ROUNDS ?? 2)
const GENERATOR = process.env.BENCH_GENERATOR ?? 'wrk'
const EMAIL = 'ada@bench.test'
const PASSWORD = 'correct horse battery staple 42'
const cores = availableParallelism()

/** The peer: Express 5 alone, the same route, a constant 200 (its own process, like the gateway). */
function serveBare() {
  const app = express()
  app.disable('x-powered-by')
  app.get('/auth/verify', (_req, res) => {
    res.sendStatus(200)
  })
  // An exit of its own on SIGTERM, so that --cpu-prof writes its profile.
  process.once('SIGTERM', () => process.exit(0))
  // FWD_BARE=prototypes: the same app in the gateway's own server (src/http/server.ts), whose
  // requests are made with Express's prototypes (no per-request Object.setPrototypeOf change).
  const server =
    process.env.FWD_BARE === 'prototypes'
      ? createServer(expressPrototypes(app), app)
      : createServer(app)
  server.listen(0, '127.0.0.1', () => process.send?.((server.address() as { port: number }).port))
}

/** Fields of /proc/<pid>/stat after the command name (utime is [11], stime [12]). */
function statFields(pid: string | number): { comm: string; fields: string[] } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  return {
    comm: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')),
    fields: stat.slice(stat.lastIndexOf(')') + 2).split(' '),
  }
}

/** CPU time (ms) so far of `pid` (Linux /proc; 100 ticks/s). */
function cpuMs(pid: number): number {
  try {
    const { fields } = statFields(pid)
    return (Number(fields[11]) + Number(fields[12])) * 10
  } catch {
    return 0 // gone
  }
}

/** CPU time (ms) of this process's children that ended and were waited for: wrk's runs. */
function childrenCpuMs(): number {
  const { fields } = statFields('self')
  return (Number(fields[13]) + Number(fields[14])) * 10
}

/**
 * The bench database's own PostgreSQL backends (other work on the machine has its own): their
 * CPU, and the transactions committed in the database (pg_stat_database, flushed by busy
 * backends about once a second: a phase's count is close, not exact).
 */
async function benchDatabase(url: string) {
  const connection = new pg.Client({ connectionString: url })
  await connection.connect()
  const name = new URL(url).pathname.slice(1)
  return {
    async sample() {
      const { rows } = await connection.query<{ xacts: string; pids: number[] }>(
        `select (select xact_commit + xact_rollback from pg_stat_database where datname = $1)::text as xacts,
           array(select pid from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()) as pids`,
        [name],
      )
      const { xacts, pids } = rows[0]!
      return { xacts: Number(xacts), cpu: new Map(pids.map((pid) => [pid, cpuMs(pid)])) }
    },
    close: () => connection.end(),
  }
}

/** What a load generator reports of one run. Latencies in ms. */
type Load = {
  ok: number
  other: number
  seconds: number
  p50: number
  p99: number
  max: number
  /** The generator's CPU (ms) in the run, when known. */
  generatorCpu: number | undefined
}

type Target = { port: number; headers: Record<string, string> }

/** wrk's durations: 612.00us, 1.20ms, 1.02s, 1.50m. */
function wrkMs(text: string): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(text)
  if (!m) throw new Error(`wrk printed a duration I cannot read: ${text}`)
  const scale = { us: 1e-3, ms: 1, s: 1e3, m: 60e3 }[m[2] as 'us' | 'ms' | 's' | 'm']
  return Number(m[1]) * scale
}

let pacing: string | undefined
/** The Lua script of a paced run: after each answer, wait a random 0..2D ms (mean D). */
function pacingScript(): string {
  if (!pacing) {
    const dir = mkdtempSync(join(tmpdir(), 'fwd-bench-'))
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }))
    pacing = join(dir, 'paced.lua')
    // wrk's delay() is in whole ms: a uniform integer in [0, 2D] has mean D (D a half-integer
    // at least). Each thread has its own Lua state and one seed: deterministic, fine.
    writeFileSync(
      pacing,
      `local d2 = tonumber(os.getenv("FWD_DELAY2") or "0")\nfunction delay() return math.random(0, d2) end\n`,
    )
  }
  return pacing
}

/** One wrk run (one thread); `delay2Ms` paces each connection (see the file's comment). */
async function wrk(
  target: Target,
  connections: number,
  seconds: number,
  delay2Ms?: number,
): Promise<Load> {
  const args = ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', '--timeout', '5s']
  for (const [name, value] of Object.entries(target.headers)) args.push('-H', `${name}: ${value}`)
  if (delay2Ms !== undefined) args.push('-s', pacingScript())
  args.push(`http://127.0.0.1:${target.port}/auth/verify`)
  const before = childrenCpuMs()
  const child = spawn('wrk', args, {
    env: { ...process.env, FWD_DELAY2: String(delay2Ms ?? 0) },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  let out = ''
  child.stdout.on('data', (d) => (out += d))
  const [code] = (await once(child, 'exit')) as [number | null]
  if (code !== 0) throw new Error(`wrk exited with ${code}:\n${out}`)
  const percentile = (p: string) => {
    const m = new RegExp(`^\\s+${p}%\\s+(\\S+)$`, 'm').exec(out)
    if (!m) throw new Error(`no ${p} % latency in wrk's output:\n${out}`)
    return wrkMs(m[1]!)
  }
  const total = /(\d+) requests in ([\d.]+)(us|ms|s|m),/.exec(out)
  if (!total) throw new Error(`no request count in wrk's output:\n${out}`)
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0)
  const errors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out)
  const failed = errors ? errors.slice(1).reduce((a, b) => a + Number(b), 0) : 0
  const latency = /^\s+Latency\s+(\S+)\s+(\S+)\s+(\S+)/m.exec(out)
  return {
    ok: Number(total[1]) - non2xx,
    other: non2xx + failed,
    seconds: wrkMs(`${total[2]}${total[3]}`) / 1000,
    p50: percentile('50'),
    p99: percentile('99'),
    max: latency ? wrkMs(latency[3]!) : Number.NaN,
    generatorCpu: childrenCpuMs() - before,
  }
}

/** The old generator, in this process: only when asked (BENCH_GENERATOR=autocannon). */
async function autocannonRun(
  target: Target,
  connections: number,
  seconds: number,
  overallRate?: number,
): Promise<Load> {
  const { default: autocannon } = await import('autocannon')
  const result = await autocannon({
    url: `http://127.0.0.1:${target.port}/auth/verify`,
    connections,
    duration: seconds,
    headers: target.headers,
    ...(overallRate ? { overallRate } : {}),
  })
  const ok = result.statusCodeStats?.['200']?.count ?? 0
  return {
    ok,
    other: result.requests.total - ok + result.errors,
    seconds,
    p50: result.latency.p50,
    p99: result.latency.p99,
    max: result.latency.max,
    generatorCpu: undefined,
  }
}

/** HAProxy answering a constant 200 on a free port, or undefined when it is not installed. */
async function haproxyFloor(): Promise<{ port: number; pid: number; stop(): void } | undefined> {
  const { freePort } = await import('../test/support/process.js')
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'fwd-floor-'))
  const config = join(dir, 'haproxy.cfg')
  writeFileSync(
    config,
    `global\n  nbthread 1\ndefaults\n  mode http\n  timeout client 10s\n  timeout server 10s\n  timeout connect 1s\nfrontend floor\n  bind 127.0.0.1:${port}\n  http-request return status 200\n`,
  )
  const child = spawn('haproxy', ['-db', '-f', config], { stdio: 'ignore' })
  const failed = await Promise.race([
    once(child, 'error').then(() => true),
    new Promise<boolean>((r) => setTimeout(() => r(false), 500)),
  ])
  rmSync(dir, { recursive: true, force: true })
  if (failed || child.exitCode !== null) return undefined
  return { port, pid: child.pid!, stop: () => void child.kill() }
}

function haveWrk(): boolean {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' })
    return true
  } catch (err) {
    // wrk --version prints its usage and exits 1: it is there.
    return (err as NodeJS.ErrnoException).code !== 'ENOENT'
  }
}

type Phase = Load & {
  rate: number
  cpu: number
  pg: number
  xacts: number
}

/** One phase on `target`: 200s counted, CPU of `pid` and of the database's backends per 200. */
async function phase(
  target: Target & { pid: number },
  database: Awaited<ReturnType<typeof benchDatabase>>,
  run: () => Promise<Load>,
): Promise<Phase> {
  const before = { cpu: cpuMs(target.pid), db: await database.sample() }
  const load = await run()
  const cpu = cpuMs(target.pid) - before.cpu
  const db = await database.sample()
  const { ok } = load
  return {
    ...load,
    rate: ok / load.seconds,
    cpu: ok ? cpu / ok : 0,
    // Backends that lived through the phase (the pool may open or close one meanwhile).
    pg: ok
      ? [...db.cpu].reduce((sum, [p, ms]) => sum + ms - (before.db.cpu.get(p) ?? ms), 0) / ok
      : 0,
    xacts: ok ? (db.xacts - before.db.xacts) / ok : 0,
  }
}

/** The tenant "bench", one member signed in: a bearer access token and a session cookie. */
async function credentials(bench: Awaited<ReturnType<typeof benchGateway>>) {
  const { db, tenant } = await seedBenchTenant(
    bench.databaseUrl,
    bench.secretKey,
    [EMAIL],
    PASSWORD,
  )
  const app = await createApp(db, tenant.id, {
    name: 'Bench',
    type: 'web',
    redirectUris: [REDIRECT],
  })
  await db.destroy()
  await bench.ready()
  const issuer = `http://bench.localhost:${bench.gw.port}`
  const config = await client.discovery(
    new URL(issuer),
    app.clientId,
    { client_secret: app.clientSecret },
    client.ClientSecretBasic(app.clientSecret),
    { execute: [client.allowInsecureRequests], [client.customFetch]: tenantFetch },
  )
  const signedIn = await authorize(config, { email: EMAIL, password: PASSWORD })
  if (!signedIn.tokens) throw new Error(`login failed at ${signedIn.at.url.href}`)
  const cookie = [...signedIn.browser.jar.entries()]
    .filter(([host]) => host.startsWith('bench.localhost'))
    .flatMap(([, cookies]) => [...cookies].map(([name, value]) => `${name}=${value}`))
    .join('; ')
  if (!cookie.includes('gw_session=')) throw new Error(`no session cookie in ${cookie}`)
  return { bearer: signedIn.tokens.access_token, cookie }
}

const fmt = (n: number, digits = 1) => n.toFixed(digits).padStart(9)
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length)
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')

async function main() {
  const useWrk = GENERATOR === 'wrk'
  if (useWrk && !haveWrk()) {
    console.error(
      'bench/forward-auth.ts drives both servers with wrk, which is not installed: `apt-get install wrk` (Debian, Ubuntu). BENCH_GENERATOR=autocannon runs the old generator in this process instead (heavier: its figures are not comparable).',
    )
    process.exitCode = 1
    return
  }
  const closed = (target: Target, connections = CONNECTIONS, seconds = SECONDS) =>
    useWrk ? wrk(target, connections, seconds) : autocannonRun(target, connections, seconds)

  // The production default log level: the access lines a deployment writes are part of the cost.
  const bench = await benchGateway({
    PUBLIC_URL_TEMPLATE: 'http://{host}:{port}',
    LOG_LEVEL: 'info',
  })
  const bareServer = (variant: string) =>
    fork(process.argv[1]!, {
      env: { ...process.env, FWD_BARE: variant },
      execArgv: [
        ...process.execArgv,
        ...(process.env.BENCH_BARE_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
      ],
    })
  const bare = bareServer('stock')
  const bareProto = bareServer('prototypes')
  // The machine's own floor, when HAProxy is installed: a C server answering a constant 200
  // (`http-request return`), one thread. Not the peer of the goal: what this VM's scheduler and
  // loopback leave of a tail when the server does next to nothing.
  const floor = useWrk ? await haproxyFloor() : undefined
  let closeDatabase = async () => {}
  try {
    const [barePort] = (await once(bare, 'message')) as [number]
    const [bareProtoPort] = (await once(bareProto, 'message')) as [number]
    const { bearer, cookie } = await credentials(bench)
    const database = await benchDatabase(bench.databaseUrl)
    closeDatabase = database.close
    const host = 'bench.localhost'
    const bearerHeaders = { Host: host, authorization: `Bearer ${bearer}` }
    const cookieHeaders = { Host: host, cookie }
    const gateway = { port: bench.gw.port, pid: bench.gw.child.pid! }
    const peer = { port: barePort, pid: bare.pid! }
    // Bare Express gets the very request the gateway gets (its 1 KB Authorization or 304-byte
    // Cookie header parsed too), each gateway kind compared with the bare phase just before it.
    const kinds: Record<string, Target & { pid: number }> = {
      'bare, bearer req': { ...peer, headers: bearerHeaders },
      'gateway, bearer': { ...gateway, headers: bearerHeaders },
      'bare, cookie req': { ...peer, headers: cookieHeaders },
      'gateway, cookie': { ...gateway, headers: cookieHeaders },
    }
    const peerOf: Record<string, string> = {
      'gateway, bearer': 'bare, bearer req',
      'gateway, cookie': 'bare, cookie req',
    }
    // A second peer: bare Express in the server the gateway runs in (src/http/server.ts makes
    // requests with Express's prototypes, which on Node 20 halves the CPU of every request).
    kinds['bare, gw server'] = { port: bareProtoPort, pid: bareProto.pid!, headers: bearerHeaders }
    if (floor) kinds['floor: haproxy'] = { ...floor, headers: bearerHeaders }
    // Untimed warm-up: JIT, the pools, the caches.
    for (const k of Object.values(kinds)) await closed(k, CONNECTIONS, 2)

    console.log(
      `${new Date().toISOString()} cores ${cores} (${cpus()[0]?.model ?? '?'}), node ${process.version}, ${useWrk ? 'wrk (1 thread)' : 'autocannon (in the bench process)'}, ${CONNECTIONS} connections closed loop, ${SECONDS} s per phase, ${ROUNDS} rounds, load average ${load()} before`,
    )
    console.log(
      `Authorization header ${bearer.length + 7} bytes; Cookie header ${cookie.length} bytes (${cookie
        .split('; ')
        .map((c) => c.split('=')[0])
        .join(', ')})`,
    )
    const header =
      'phase                 verif/s   p50 ms   p99 ms   max ms  CPU ms/op  PG ms/op  PG xact/op  gen ms/op  non-200'
    const row = (name: string, p: Phase) =>
      `${name.padEnd(18)} ${fmt(p.rate, 0)} ${fmt(p.p50, 2)} ${fmt(p.p99, 2)} ${fmt(p.max, 1)} ${fmt(p.cpu, 3).padStart(10)} ${fmt(p.pg, 3)} ${fmt(p.xacts, 3).padStart(11)} ${(p.generatorCpu === undefined ? '?' : (p.generatorCpu / Math.max(1, p.ok + p.other)).toFixed(3)).padStart(10)} ${String(p.other).padStart(8)}`
    console.log(header)
    const seen: Record<string, Phase[]> = {}
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, k] of Object.entries(kinds)) {
        const p = await phase(k, database, () => closed(k))
        ;(seen[name] ??= []).push(p)
        console.log(row(name, p))
      }
    }
    const summary = (ps: Phase[]) =>
      `p50 ${median(ps.map((p) => p.p50)).toFixed(2)} ms (median), p99 ${median(ps.map((p) => p.p99)).toFixed(2)} ms median, ${Math.max(...ps.map((p) => p.p99)).toFixed(2)} worst, CPU ${mean(ps.map((p) => p.cpu)).toFixed(3)} ms per answer`
    for (const name of Object.keys(kinds).filter((k) => !peerOf[k]))
      console.log(
        `${name}: ${mean(seen[name]!.map((p) => p.rate)).toFixed(0)}/s, ${summary(seen[name]!)}`,
      )
    for (const [name, peerName] of Object.entries(peerOf)) {
      const ps = seen[name]!
      const bareRates = seen[peerName]!.map((p) => p.rate)
      const rate = mean(ps.map((p) => p.rate))
      // Each round's phases ran back to back: their ratio is the least disturbed by other work.
      const ratios = ps.map((p, i) => p.rate / bareRates[i]!)
      console.log(
        `${name}: ${rate.toFixed(0)}/s = ${((rate / mean(bareRates)) * 100).toFixed(1)} % of bare's mean, median of the rounds' ratios ${(median(ratios) * 100).toFixed(1)} % (goal >= 60 %), ${summary(ps)} (goal p99 < 5 ms), PostgreSQL ${mean(ps.map((p) => p.pg)).toFixed(3)} ms and ${mean(ps.map((p) => p.xacts)).toFixed(3)} transactions per verification`,
      )
    }
    const protoRates = seen['bare, gw server']!.map((p) => p.rate)
    for (const name of Object.keys(peerOf)) {
      const ps = seen[name]!
      const ratios = ps.map((p, i) => p.rate / protoRates[i]!)
      console.log(
        `${name} against bare Express in the gateway's server (bearer request): ${((mean(ps.map((p) => p.rate)) / mean(protoRates)) * 100).toFixed(1)} % of its mean, median of the rounds' ratios ${(median(ratios) * 100).toFixed(1)} %`,
      )
    }
    const bareRate = mean(Object.values(peerOf).flatMap((n) => seen[n]!.map((p) => p.rate)))

    // Latency at the goal's rate, not at saturation: a closed loop as fast as the server answers
    // measures the queue it builds. Offered: 60 % of bare's measured rate, the rate goal.
    if (PACED_ROUNDS > 0) {
      const offered = Math.round(bareRate * 0.6)
      console.log(
        `paced: ${offered}/s offered (60 % of bare's closed-loop mean) over ${PACED_CONNECTIONS} connections, ${useWrk ? 'each waiting a random 0..2D ms after an answer' : "autocannon's overallRate (bursts at each second's start)"}`,
      )
      console.log(header)
      for (const [name, k] of Object.entries(kinds)) {
        let run: () => Promise<Load>
        if (useWrk) {
          // D from a one-second calibration: c / (D + latency) = offered.
          const interval = (PACED_CONNECTIONS * 1000) / offered
          let d = interval
          const trial = await wrk(k, PACED_CONNECTIONS, 1, Math.round(2 * d))
          const latency = (PACED_CONNECTIONS * 1000) / (trial.ok / trial.seconds) - d
          d = Math.max(0.5, interval - Math.max(0, latency))
          const d2 = Math.max(1, Math.round(2 * d))
          run = () => wrk(k, PACED_CONNECTIONS, SECONDS, d2)
        } else run = () => autocannonRun(k, PACED_CONNECTIONS, SECONDS, offered)
        for (let round = 0; round < PACED_ROUNDS; round++)
          console.log(row(name, await phase(k, database, run)))
      }
    }
    console.log(`load average ${load()} after`)
  } finally {
    // E.g. BENCH_NODE_ARGS=--trace-gc BENCH_GATEWAY_OUTPUT=/tmp/gc.log: what the gateway printed.
    if (process.env.BENCH_GATEWAY_OUTPUT)
      writeFileSync(process.env.BENCH_GATEWAY_OUTPUT, bench.gw.output())
    floor?.stop()
    bare.kill()
    bareProto.kill()
    await closeDatabase()
    await bench.close()
  }
}

if (process.env.FWD_BARE) serveBare()
else await main()
