// What a login can reach on this machine before any gateway code runs: the same argon2id
// verification behind progressively more of a real login's fixed costs (an HTTP server, Express,
// PostgreSQL round trips, the hashing cap), each measured against the raw verify rate in the same
// run. Each variant is served by a child process, as the gateway would be, so the load generator
// does not share its event loop. Beside each rate, the CPU per login of the variant's main thread
// and of the PostgreSQL backends its round trips use (read from /proc): what the same work
// costs before the gateway's own code. Run: npx tsx bench/ceiling.ts
// Env: BENCH_DATABASE_URL, BENCH_SECONDS (8 per phase).
import { fork } from 'node:child_process'
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { availableParallelism } from 'node:os'
import { hash, verify } from '@node-rs/argon2'
import autocannon from 'autocannon'
import express from 'express'
import pg from 'pg'
import { createHasher, DEFAULT_ARGON2_PARAMS } from '../src/identity/hashing.js'

const SECONDS = Number(process.env.BENCH_SECONDS ?? 8)
const DATABASE_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const PASSWORD = 'correct horse battery staple 42'
const cores = availableParallelism()
const encoded = await hash(PASSWORD, { algorithm: 2, ...DEFAULT_ARGON2_PARAMS })

type Variant = { name: string; express: boolean; roundTrips: number; cap: boolean }
const variants: Variant[] = [
  { name: 'node:http + verify', express: false, roundTrips: 0, cap: false },
  { name: 'node:http + 3 round trips', express: false, roundTrips: 3, cap: false },
  { name: 'express + verify', express: true, roundTrips: 0, cap: false },
  { name: 'express + 3 round trips', express: true, roundTrips: 3, cap: false },
  { name: 'express + 3 round trips + cap', express: true, roundTrips: 3, cap: true },
  // The gateway's login today: two statements (the read, then the one write), the hashing cap.
  { name: 'express + 2 round trips + cap', express: true, roundTrips: 2, cap: true },
]

const served = process.env.CEILING_VARIANT
// Each variant's backends are found by their application_name.
const APPLICATION = (index: string | number) => `bench-ceiling-${index}`
const pool = new pg.Pool({
  connectionString: DATABASE_URL,
  max: 10,
  application_name: APPLICATION(served ?? 'parent'),
})
const capped = createHasher()

async function login(v: Variant) {
  for (let i = 0; i < v.roundTrips; i++) await pool.query('select $1::int as n', [i])
  return v.cap ? (await capped.verify(encoded, PASSWORD)).ok : verify(encoded, PASSWORD)
}

function serve(v: Variant): Promise<Server> {
  const server = v.express
    ? express()
        .use(express.urlencoded({ extended: false }))
        .post('/login', async (_req, res) => {
          await login(v)
          res.redirect(303, '/')
        })
        .listen(0)
    : createServer((req, res) => {
        req.resume().on('end', async () => {
          await login(v)
          res.writeHead(303, { location: '/' }).end()
        })
      }).listen(0)
  return new Promise((resolve) => server.once('listening', () => resolve(server)))
}

async function rawVerify(): Promise<number> {
  let n = 0
  const deadline = Date.now() + SECONDS * 1000
  await Promise.all(
    Array.from({ length: cores }, async () => {
      for (; Date.now() < deadline; n++) await verify(encoded, PASSWORD)
    }),
  )
  return n / SECONDS
}

/** CPU time (ms) of a process's main thread, or of whole processes, from /proc (100 ticks/s). */
function ticks(path: string): number {
  try {
    const stat = readFileSync(path, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) * 10
  } catch {
    return 0
  }
}
const mainThread = (pid: number) => ticks(`/proc/${pid}/task/${pid}/stat`)
async function backendsCpu(index: number): Promise<number> {
  const { rows } = await pool.query<{ pid: number }>(
    'select pid from pg_stat_activity where application_name = $1',
    [APPLICATION(index)],
  )
  return rows.reduce((sum, r) => sum + ticks(`/proc/${r.pid}/stat`), 0)
}

async function load(port: number): Promise<number> {
  const result = await autocannon({
    url: `http://127.0.0.1:${port}/login`,
    method: 'POST',
    connections: cores * 3,
    duration: SECONDS,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'email=a%40b.test&password=x',
  })
  return (result.statusCodeStats?.['303']?.count ?? 0) / SECONDS
}

if (served) {
  const server = await serve(variants[Number(served)]!)
  process.send?.((server.address() as { port: number }).port)
} else {
  console.log(
    `cores ${cores}, ${SECONDS} s per phase, ${cores * 3} connections, raw verify alternating`,
  )
  for (const [index, v] of variants.entries()) {
    const child = fork(process.argv[1]!, {
      env: { ...process.env, CEILING_VARIANT: String(index) },
      execArgv: process.execArgv,
    })
    const [port] = (await once(child, 'message')) as [number]
    const raws: number[] = []
    const logins: number[] = []
    const cpu = { main: 0, postgres: 0 }
    for (let round = 0; round < 2; round++) {
      raws.push(await rawVerify())
      const before = { main: mainThread(child.pid!), postgres: await backendsCpu(index) }
      logins.push(await load(port))
      cpu.main += mainThread(child.pid!) - before.main
      cpu.postgres += (await backendsCpu(index)) - before.postgres
    }
    child.kill()
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length
    const served = mean(logins) * SECONDS * 2
    console.log(
      `${v.name.padEnd(32)} ${mean(logins).toFixed(1).padStart(7)} req/s  raw ${mean(raws).toFixed(1).padStart(7)} /s  ${((mean(logins) / mean(raws)) * 100).toFixed(0).padStart(4)} %  CPU per login: main thread ${(cpu.main / served).toFixed(2)} ms, PostgreSQL ${(cpu.postgres / served).toFixed(2)} ms`,
    )
  }
  await pool.end()
}
