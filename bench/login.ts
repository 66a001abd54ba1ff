// Login throughput of a running gateway on PostgreSQL against the raw argon2id verify rate with
// the same parameters, measured alternately in one run (issue 3). Run: npx tsx bench/login.ts
// Env: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres), BENCH_SECONDS.
import { availableParallelism } from 'node:os'
import { hash, verify } from '@node-rs/argon2'
import autocannon from 'autocannon'
import { DEFAULT_ARGON2_PARAMS } from '../src/identity/hashing.js'
import { benchGateway, seedBenchTenant } from './support.js'

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10)
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

function loginLoad(
  port: number,
  csrf: { cookie: string; token: string },
  extra: Partial<autocannon.Options> = {},
) {
  let n = 0
  return autocannon({
    url: `http://127.0.0.1:${port}/login`,
    method: 'POST',
    connections: cores * 3,
    duration: SECONDS,
    headers: {
      host: 'bench.localhost',
      cookie: csrf.cookie,
      'content-type': 'application/x-www-form-urlencoded',
    },
    requests: [
      {
        setupRequest: (req) => {
          const i = n++
          const email = `user${i % USERS}@bench.test`
          // Behind a load balancer clients come from many addresses (TRUST_PROXY=loopback).
          req.headers = {
            ...req.headers,
            'x-forwarded-for': `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
          }
          req.body = new URLSearchParams({
            email,
            password: PASSWORD,
            _csrf: csrf.token,
          }).toString()
          return req
        },
      },
    ],
    ...extra,
  })
}

const fmt = (n: number) => n.toFixed(1).padStart(8)

async function main() {
  const bench = await benchGateway({
    TRUST_PROXY: 'loopback',
    PUBLIC_URL_TEMPLATE: 'http://{host}',
  })
  const { gw } = bench
  try {
    const emails = Array.from({ length: USERS }, (_, i) => `user${i}@bench.test`)
    const { db } = await seedBenchTenant(bench.databaseUrl, bench.secretKey, emails, PASSWORD)
    await db.destroy()
    await bench.ready()
    const csrf = await fetchCsrf(gw.port)
    const encoded = await hash(PASSWORD, { algorithm: 2, ...DEFAULT_ARGON2_PARAMS })

    console.log(
      `cores ${cores}, ${SECONDS} s per phase, argon2id m=${DEFAULT_ARGON2_PARAMS.memoryCost} t=${DEFAULT_ARGON2_PARAMS.timeCost} p=${DEFAULT_ARGON2_PARAMS.parallelism}`,
    )
    console.log('phase              req/s      p50 ms   p99 ms   non-303')
    const raws: number[] = []
    const logins: number[] = []
    for (let round = 0; round < 2; round++) {
      const raw = await rawVerify(encoded)
      raws.push(raw.rps)
      console.log(`raw verify      ${fmt(raw.rps)} ${fmt(raw.p50)} ${fmt(raw.p99)}`)
      const load = await loginLoad(gw.port, csrf)
      const ok = load.statusCodeStats?.['303']?.count ?? 0
      logins.push(ok / SECONDS)
      console.log(
        `POST /login     ${fmt(ok / SECONDS)} ${fmt(load.latency.p50)} ${fmt(load.latency.p99)}   ${load.requests.total - ok}`,
      )
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length
    const peak = mean(logins)
    console.log(`login / raw verify: ${((peak / mean(raws)) * 100).toFixed(1)} % (goal >= 90 %)`)

    const lone = await loginLoad(gw.port, csrf, { connections: 1, duration: 5 })
    const at70 = await loginLoad(gw.port, csrf, {
      overallRate: Math.max(1, Math.floor(peak * 0.7)),
    })
    console.log(
      `lone login p50 ${lone.latency.p50.toFixed(1)} ms; at 70 % of peak (${Math.floor(peak * 0.7)} req/s) p99 ${at70.latency.p99.toFixed(1)} ms = ${(at70.latency.p99 / lone.latency.p50).toFixed(1)}x (goal < 5x)`,
    )
  } finally {
    await bench.close()
  }
}

async function fetchCsrf(port: number) {
  const { request } = await import('node:http')
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
