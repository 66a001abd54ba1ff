// Token rates of a running gateway on PostgreSQL against the raw jose rates with the same key type,
// in one run: access-token verifications/s with jose against the tenant's JWKS, token-endpoint
// code exchanges/s, raw RS256 sign and verify. Run: npx tsx bench/tokens.ts
// Env: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres), BENCH_SECONDS,
// BENCH_ROUNDS, BENCH_NODE_ARGS (as in bench/login.ts).
import { randomUUID } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { availableParallelism, cpus, loadavg } from 'node:os'
import {
  createRemoteJWKSet,
  customFetch,
  decodeJwt,
  generateKeyPair,
  type JWTPayload,
  jwtVerify,
  SignJWT,
} from 'jose'
import * as client from 'openid-client'
import { createApp } from '../src/tokens/apps.js'
import {
  authorizationRequest,
  authorize,
  httpBrowser,
  REDIRECT,
  tenantFetch,
} from '../test/support/oidc.js'
import { benchGateway, seedBenchTenant } from './support.js'

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2)
const EMAIL = 'ada@bench.test'
const PASSWORD = 'correct horse battery staple 42'
// Codes live 60 s (tokens/provider/configuration.ts): collected in batches small enough to be spent well within that.
const BATCH = 200
const TOKENS = 8
const cores = availableParallelism()

/** The tenant "bench" with one member, and a confidential web app. */
async function setUp(bench: Awaited<ReturnType<typeof benchGateway>>) {
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
  return app
}

type Stats = { rate: number; p50: number; p99: number; n: number }

function stats(latencies: number[], seconds: number): Stats {
  latencies.sort((a, b) => a - b)
  const at = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0
  return { rate: latencies.length / seconds, p50: at(0.5), p99: at(0.99), n: latencies.length }
}

/** `op` in `concurrency` loops for SECONDS; its rate and latencies. */
async function loop(op: (i: number) => Promise<unknown>, concurrency = cores) {
  const latencies: number[] = []
  let i = 0
  const started = performance.now()
  const deadline = started + SECONDS * 1000
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        const t = performance.now()
        await op(i++)
        latencies.push(performance.now() - t)
      }
    }),
  )
  return stats(latencies, (performance.now() - started) / 1000)
}

type Code = { url: URL; verifier: string; state: string }

/** A code from the authorization endpoint, on the browser's gateway session (no login). */
async function code(
  config: client.Configuration,
  browser: ReturnType<typeof httpBrowser>,
): Promise<Code> {
  const { url, verifier, state } = await authorizationRequest(config, {
    scope: 'openid profile email',
  })
  const at = await browser.follow(url)
  if (!at.url.href.startsWith(REDIRECT) || !at.url.searchParams.has('code'))
    throw new Error(`no code: the flow ended at ${at.url.href} (${at.res.status})`)
  return { url: at.url, verifier, state }
}

/** CPU time (ms) so far of each process named `comm`, or of `pid` (Linux /proc; 100 ticks/s). */
function cpuTimes(filter: { pid: number } | { comm: string }) {
  const times = new Map<string, number>()
  const pids =
    'pid' in filter ? [String(filter.pid)] : readdirSync('/proc').filter((d) => /^\d+$/.test(d))
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))
      if ('comm' in filter && comm !== filter.comm) continue
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      times.set(pid, (Number(fields[11]) + Number(fields[12])) * 10)
    } catch {
      // gone, or not Linux
    }
  }
  return times
}
const cpuSince = (before: Map<string, number>, after: Map<string, number>) =>
  [...after].reduce((sum, [pid, ms]) => sum + ms - (before.get(pid) ?? 0), 0)

/**
 * Code exchanges/s at the token endpoint, concurrency = 2 x cores, for `seconds` of exchanging
 * (one batch at least). Codes are collected first, a batch at a time, and are not timed; the CPU
 * time the gateway, PostgreSQL and this process (openid-client) spend per exchange is measured.
 */
async function exchanges(
  config: client.Configuration,
  browser: ReturnType<typeof httpBrowser>,
  gatewayPid: number,
  { batch = BATCH, seconds = SECONDS } = {},
) {
  const latencies: number[] = []
  const accessTokens: string[] = []
  const cpu = { gateway: 0, postgres: 0, bench: 0 }
  let busy = 0
  let collect = 0
  let collected = 0
  do {
    let t = performance.now()
    const codes: Code[] = []
    for (let i = 0; i < batch; i++) codes.push(await code(config, browser))
    collect += performance.now() - t
    collected += codes.length
    const before = {
      gateway: cpuTimes({ pid: gatewayPid }),
      postgres: cpuTimes({ comm: 'postgres' }),
      bench: process.cpuUsage(),
    }
    t = performance.now()
    await Promise.all(
      Array.from({ length: 2 * cores }, async () => {
        for (let c = codes.pop(); c; c = codes.pop()) {
          const s = performance.now()
          const tokens = await client.authorizationCodeGrant(config, c.url, {
            pkceCodeVerifier: c.verifier,
            expectedState: c.state,
          })
          latencies.push(performance.now() - s)
          if (accessTokens.length < TOKENS) accessTokens.push(tokens.access_token)
        }
      }),
    )
    busy += performance.now() - t
    const used = process.cpuUsage(before.bench)
    cpu.bench += (used.user + used.system) / 1000
    cpu.gateway += cpuSince(before.gateway, cpuTimes({ pid: gatewayPid }))
    cpu.postgres += cpuSince(before.postgres, cpuTimes({ comm: 'postgres' }))
  } while (busy < seconds * 1000)
  const n = latencies.length
  return {
    ...stats(latencies, busy / 1000),
    accessTokens,
    collectMs: collect / collected,
    cpuMs: { gateway: cpu.gateway / n, postgres: cpu.postgres / n, bench: cpu.bench / n },
  }
}

const fmt = (n: number) => n.toFixed(1).padStart(8)
const row = (label: string, s: Stats) =>
  console.log(`${label.padEnd(28)} ${fmt(s.rate)} ${fmt(s.p50)} ${fmt(s.p99)}`)

async function main() {
  // startGateway picks the port and passes it as PORT; the template's {port} takes it from there.
  const bench = await benchGateway({ PUBLIC_URL_TEMPLATE: 'http://{host}:{port}' })
  const { gw } = bench
  try {
    const app = await setUp(bench)
    await bench.ready()
    const issuer = `http://bench.localhost:${gw.port}`
    const config = await client.discovery(
      new URL(issuer),
      app.clientId,
      { client_secret: app.clientSecret },
      client.ClientSecretBasic(app.clientSecret),
      { execute: [client.allowInsecureRequests], [client.customFetch]: tenantFetch },
    )
    // One login: every later code comes from this browser's gateway session.
    const first = await authorize(config, { email: EMAIL, password: PASSWORD })
    if (!first.tokens)
      throw new Error(`login failed at ${first.at.url.href} (${first.at.res.status})`)
    const browser = first.browser
    // Untimed: warms up the gateway's token path and yields distinct access tokens to verify.
    const { accessTokens } = await exchanges(config, browser, gw.child.pid!, { seconds: 0 })

    const jwks = createRemoteJWKSet(new URL(`${issuer}/jwks`), { [customFetch]: tenantFetch })
    const expected = { issuer, audience: `${issuer}/api`, typ: 'at+jwt' }
    const { publicKey, privateKey } = await generateKeyPair('RS256')
    const sample = decodeJwt(first.tokens.access_token)
    const sign = () =>
      new SignJWT({ ...sample, jti: randomUUID() } as JWTPayload)
        .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: 'bench' })
        .sign(privateKey)
    const signed = await Promise.all(Array.from({ length: TOKENS }, sign))
    const rawVerify = (i: number) => jwtVerify(signed[i % signed.length]!, publicKey, expected)
    const jwksVerify = (i: number) =>
      jwtVerify(accessTokens[i % accessTokens.length]!, jwks, expected)

    console.log(
      `cores ${cores} (${cpus()[0]?.model ?? '?'}), node ${process.version}, RS256 2048-bit, ${SECONDS} s per phase, load average ${loadavg()[0]!.toFixed(2)} before`,
    )
    console.log(
      `concurrency: jose ${cores}, code exchanges ${2 * cores} (codes collected beforehand, untimed)`,
    )
    console.log('phase                           ops/s   p50 ms   p99 ms')
    for (let round = 0; round < ROUNDS; round++) {
      row('raw jose sign', await loop(sign))
      row('raw jose verify', await loop(rawVerify))
      row('jose verify, gateway JWKS', await loop(jwksVerify))
      const exchanged = await exchanges(config, browser, gw.child.pid!)
      row('code exchange (token endpt)', exchanged)
      const { gateway, postgres, bench } = exchanged.cpuMs
      console.log(
        `  CPU per exchange: gateway ${gateway.toFixed(1)} ms, PostgreSQL ${postgres.toFixed(1)} ms, openid-client ${bench.toFixed(1)} ms; collecting a code (GET /auth on the session, sequential) took ${exchanged.collectMs.toFixed(1)} ms`,
      )
    }
    console.log(
      `load average ${loadavg()[0]!.toFixed(2)} after (other work on the machine skews every rate)`,
    )
    const one = { raw: await loop(rawVerify, 1), jwks: await loop(jwksVerify, 1) }
    console.log(
      `jose verify at concurrency 1: raw ${one.raw.rate.toFixed(0)}/s, gateway JWKS ${one.jwks.rate.toFixed(0)}/s`,
    )
  } finally {
    await bench.close()
  }
}

await main()
