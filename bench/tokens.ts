// Token rates of a running gateway on PostgreSQL, in one run, next to their peers and floor:
// client-credentials grants/s (Ory Hydra publishes 513/s on 2 CPUs), refresh-token grants/s
// (Keycloak publishes 120/s per vCPU), code exchanges/s (goal 300/s), the raw jose RS256 sign
// rate (every grant signs at least once), and access-token verifications/s with jose against
// the tenant's JWKS next to raw verify. Each grant phase prints the CPU time the gateway and
// PostgreSQL spend per grant (/proc). Run: npx tsx bench/tokens.ts
// Env: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres), BENCH_SECONDS,
// BENCH_ROUNDS, BENCH_NODE_ARGS (as in bench/login.ts).
import { fork } from 'node:child_process'
import { once } from 'node:events'
import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
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
import pg from 'pg'
import { createApp } from '../src/tokens/apps.js'
import {
  authorizationRequest,
  authorize,
  httpBrowser,
  REDIRECT,
  tenantFetch,
} from '../test/support/oidc.js'
import { benchGateway, seedBenchTenant } from './support.js'
import { hasWrk, lua, runWrk } from './wrk.js'

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2)
const EMAIL = 'ada@bench.test'
const PASSWORD = 'correct horse battery staple 42'
// Codes live 60 s (tokens/provider/configuration.ts): collected in batches small enough to be spent well within that.
const BATCH = 200
const TOKENS = 8
const EXCHANGES_PER_WRK_PHASE = 900
const cores = availableParallelism()

/** The tenant "bench" with one member, a confidential web app and a machine app. */
async function setUp(bench: Awaited<ReturnType<typeof benchGateway>>) {
  const { db, tenant } = await seedBenchTenant(
    bench.databaseUrl,
    bench.secretKey,
    [EMAIL],
    PASSWORD,
  )
  const web = await createApp(db, tenant.id, {
    name: 'Bench',
    type: 'web',
    redirectUris: [REDIRECT],
  })
  const machine = await createApp(db, tenant.id, { name: 'Bench machine', type: 'machine' })
  await db.destroy()
  return { web, machine }
}

type Stats = { rate: number; p50: number; p99: number; n: number }

function stats(latencies: number[], seconds: number): Stats {
  latencies.sort((a, b) => a - b)
  const at = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0
  return { rate: latencies.length / seconds, p50: at(0.5), p99: at(0.99), n: latencies.length }
}

/** `op` in `concurrency` loops for SECONDS; its rate and latencies. */
async function loop(op: (i: number, worker: number) => Promise<unknown>, concurrency = cores) {
  const latencies: number[] = []
  let i = 0
  const started = performance.now()
  const deadline = started + SECONDS * 1000
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      while (performance.now() < deadline) {
        const t = performance.now()
        await op(i++, worker)
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
  params: Record<string, string> = { scope: 'openid profile email' },
): Promise<Code> {
  const { url, verifier, state } = await authorizationRequest(config, params)
  const at = await browser.follow(url)
  if (!at.url.href.startsWith(REDIRECT) || !at.url.searchParams.has('code'))
    throw new Error(`no code: the flow ended at ${at.url.href} (${at.res.status})`)
  return { url: at.url, verifier, state }
}

/** CPU time (ms) so far of each process of `pids` still running (Linux /proc; 100 ticks/s). */
function cpuTimes(pids: number[]) {
  const times = new Map<number, number>()
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      times.set(pid, (Number(fields[11]) + Number(fields[12])) * 10)
    } catch {
      // gone, or not Linux
    }
  }
  return times
}
const cpuSince = (before: Map<number, number>, after: Map<number, number>) =>
  [...after].reduce((sum, [pid, ms]) => sum + ms - (before.get(pid) ?? 0), 0)

/**
 * The PostgreSQL backends serving the bench's database: the server is shared with other work,
 * whose backends must not count. A backend started while metering counts from its start.
 */
async function backendsOf(databaseUrl: string) {
  const watcher = new pg.Client({ connectionString: databaseUrl })
  await watcher.connect()
  return {
    pids: async () =>
      (
        await watcher.query<{ pid: number }>(
          'select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()',
        )
      ).rows.map((r) => r.pid),
    end: () => watcher.end(),
  }
}
type Backends = Awaited<ReturnType<typeof backendsOf>>

type Meter = { gatewayPid: number; backends: Backends }

/** The CPU time the gateway, PostgreSQL and this process (the client) spend while metered. */
function cpuMeter({ gatewayPid, backends }: Meter) {
  const total = { gateway: 0, postgres: 0, bench: 0 }
  return {
    async meter<T>(work: () => Promise<T>): Promise<T> {
      const pids = await backends.pids()
      const before = {
        gateway: cpuTimes([gatewayPid]),
        postgres: cpuTimes(pids),
        bench: process.cpuUsage(),
      }
      const result = await work()
      const used = process.cpuUsage(before.bench)
      total.bench += (used.user + used.system) / 1000
      total.gateway += cpuSince(before.gateway, cpuTimes([gatewayPid]))
      const after = new Set([...pids, ...(await backends.pids())])
      total.postgres += cpuSince(before.postgres, cpuTimes([...after]))
      return result
    },
    per: (n: number) => ({
      gateway: total.gateway / n,
      postgres: total.postgres / n,
      bench: total.bench / n,
    }),
  }
}

type Grants = Stats & { cpuMs: ReturnType<ReturnType<typeof cpuMeter>['per']> }

/** `grant` in 2 x cores loops for SECONDS at the token endpoint, with the CPU it costs. */
async function grants(
  meter: Meter,
  grant: (i: number, worker: number) => Promise<unknown>,
): Promise<Grants> {
  const cpu = cpuMeter(meter)
  const measured = await cpu.meter(() => loop(grant, 2 * cores))
  return { ...measured, cpuMs: cpu.per(measured.n) }
}

/** bench/tokens-floor.ts in a process of its own: its port, client, refresh tokens, and a meter of its CPU. */
async function startFloor() {
  const child = fork(new URL('./tokens-floor.ts', import.meta.url).pathname, {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const started = await new Promise<{
    port: number
    client: { client_id: string; client_secret: string }
  }>((resolve, reject) => {
    child.once('message', resolve as never)
    child.once('exit', (code) => reject(new Error(`the floor exited (${code})`)))
  })
  const meter: Meter = {
    gatewayPid: child.pid!,
    backends: { pids: async () => [], end: async () => {} },
  }
  return {
    port: started.port,
    client: { clientId: started.client.client_id, clientSecret: started.client.client_secret },
    /** `count` refresh tokens, each the start of a chain. */
    async chains(count: number): Promise<string[]> {
      child.send(count)
      const [answer] = (await once(child, 'message')) as [{ chains: string[] }]
      return answer.chains
    },
    meter,
    stop: () => child.kill(),
  }
}

/** A wrk phase at the token endpoint (tokenScript), with the CPU it costs; wrk's own as the client's. */
async function wrkGrants(
  meter: Meter,
  port: number,
  script: string,
  seconds = SECONDS,
): Promise<Grants & { errors: number }> {
  const cpu = cpuMeter(meter)
  const result = await cpu.meter(() =>
    runWrk({ url: `http://127.0.0.1:${port}/token`, connections: 2 * cores, seconds, script }),
  )
  const n = Math.max(1, result.requests)
  return {
    rate: result.rate,
    p50: result.p50,
    p99: result.p99,
    n: result.requests,
    errors: result.errors,
    cpuMs: { ...cpu.per(n), bench: result.cpuMs / n },
  }
}

/**
 * Code exchanges/s at the token endpoint, concurrency = 2 x cores, for `seconds` of exchanging
 * (one batch at least). Codes are collected first, a batch at a time, and are not timed; the CPU
 * time the gateway, PostgreSQL and this process (openid-client) spend per exchange is measured.
 */
async function exchanges(
  config: client.Configuration,
  browser: ReturnType<typeof httpBrowser>,
  meter: Meter,
  { batch = BATCH, seconds = SECONDS, exchange = openIdExchange(config) } = {},
) {
  const latencies: number[] = []
  const accessTokens: string[] = []
  const cpu = cpuMeter(meter)
  let busy = 0
  let collect = 0
  let collected = 0
  do {
    let t = performance.now()
    const codes: Code[] = []
    for (let i = 0; i < batch; i++) codes.push(await code(config, browser))
    collect += performance.now() - t
    collected += codes.length
    t = performance.now()
    await cpu.meter(() =>
      Promise.all(
        Array.from({ length: 2 * cores }, async () => {
          for (let c = codes.pop(); c; c = codes.pop()) {
            const s = performance.now()
            const accessToken = await exchange(c)
            latencies.push(performance.now() - s)
            if (accessTokens.length < TOKENS) accessTokens.push(accessToken)
          }
        }),
      ),
    )
    busy += performance.now() - t
  } while (busy < seconds * 1000)
  return {
    ...stats(latencies, busy / 1000),
    accessTokens,
    collectMs: collect / collected,
    cpuMs: cpu.per(latencies.length),
  }
}

/** An exchange by openid-client: the ID token and the response checked as an app would. */
const openIdExchange = (config: client.Configuration) => async (c: Code) =>
  (
    await client.authorizationCodeGrant(config, c.url, {
      pkceCodeVerifier: c.verifier,
      expectedState: c.state,
    })
  ).access_token

type Credentials = { clientId: string; clientSecret?: string | undefined }

/**
 * The token endpoint under wrk (bench/wrk.ts), the app's Basic credentials on every request:
 * `cc` posts the client-credentials form; `refresh` keeps one chain per item, each answer's
 * refresh token the chain's next; `exchange` posts one form per item (a code each) and stops
 * when every one is answered. `ok` counts the answers that carry an access token.
 */
function tokenScript(input: {
  host: string
  app: Credentials
  mode: 'cc' | 'refresh' | 'exchange'
  items?: string[]
}) {
  const auth = Buffer.from(`${input.app.clientId}:${input.app.clientSecret}`).toString('base64')
  return `
wrk.method = "POST"
wrk.path = "/token"
wrk.headers["Host"] = ${lua(input.host)}
wrk.headers["Authorization"] = ${lua(`Basic ${auth}`)}
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
local mode = ${lua(input.mode)}
local items = { ${(input.items ?? []).map(lua).join(', ')} }
local total = #items
local nextItem = 1
local failed = 0
ok = 0
-- wrk runs for its whole duration: the exchanges' own time is measured here (LuaJIT's FFI,
-- the monotonic clock) and handed over as \`elapsed\`.
local ffi = require("ffi")
ffi.cdef[[ typedef struct { long tv_sec; long tv_nsec; } bench_timespec; int clock_gettime(int, bench_timespec *); ]]
local ts = ffi.new("bench_timespec")
local function now() ffi.C.clock_gettime(1, ts) return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) / 1e9 end
local started
-- wrk 4.1 calls request() once after init() to check it, and never sends that one.
local checked = false
local idle = wrk.format("GET", "/healthz")
local function exhausted()
  if mode == "refresh" then return #items == 0 end
  return mode == "exchange" and nextItem > total
end
-- Once every item is out, a connection waits (delay) rather than send more.
function delay() if exhausted() then return 60000 end return 0 end
function request()
  if not checked then
    checked = true
    return idle
  end
  started = started or now()
  if mode == "cc" then return wrk.format(nil, nil, nil, "grant_type=client_credentials") end
  if mode == "refresh" then
    local token = table.remove(items)
    if not token then return idle end
    return wrk.format(nil, nil, nil, "grant_type=refresh_token&refresh_token=" .. token)
  end
  local body = items[nextItem]
  nextItem = nextItem + 1
  if not body then return idle end
  return wrk.format(nil, nil, nil, body)
end
function response(status, headers, body)
  if status == 200 and body:find('"access_token"', 1, true) then ok = ok + 1
  elseif body:find('"error"', 1, true) then failed = failed + 1 end
  if mode == "refresh" then
    local token = body:match('"refresh_token":"([^"]+)"')
    if token then table.insert(items, token) end
  elseif mode == "exchange" and ok + failed >= total then
    elapsed = now() - started
    wrk.thread:stop()
  end
end
`
}

/**
 * One refresh token per loop, each from a code of its own (offline_access, which the provider
 * grants on a consent prompt: our interaction step answers it without a page). Every refresh
 * rotates it: the loop goes on with the new one.
 */
async function refreshChains(
  config: client.Configuration,
  browser: ReturnType<typeof httpBrowser>,
) {
  const chains: string[] = []
  for (let i = 0; i < 2 * cores; i++) {
    const c = await code(config, browser, {
      scope: 'openid profile email offline_access',
      prompt: 'consent',
    })
    const tokens = await client.authorizationCodeGrant(config, c.url, {
      pkceCodeVerifier: c.verifier,
      expectedState: c.state,
    })
    if (!tokens.refresh_token) throw new Error('no refresh token issued')
    chains.push(tokens.refresh_token)
  }
  return chains
}

const fmt = (n: number, width = 8, digits = 1) => n.toFixed(digits).padStart(width)
const HEAD = `${'phase'.padEnd(30)} ${'ops/s'.padStart(8)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'gw ms/op'.padStart(9)} ${'pg ms/op'.padStart(9)}  peer / goal / floor`
function row(
  label: string,
  s: Stats & { cpuMs?: { gateway: number; postgres: number } },
  against = '',
) {
  const cpu = s.cpuMs
    ? `${fmt(s.cpuMs.gateway, 9, 2)} ${fmt(s.cpuMs.postgres, 9, 2)}`
    : ' '.repeat(19)
  console.log(`${label.padEnd(30)} ${fmt(s.rate)} ${fmt(s.p50)} ${fmt(s.p99)} ${cpu}  ${against}`)
}
const pct = (rate: number, of: number) => `${((100 * rate) / of).toFixed(0)} %`
const versus = (rate: number, peer: number, name: string) =>
  `${name}: ${(rate / peer).toFixed(2)}x ${rate >= peer ? '(ahead)' : '(behind)'}`

// Published peers, per machine of this one's size (the bench prints `cores`).
const HYDRA_CLIENT_CREDENTIALS_PER_S = 513 // Ory Hydra's benchmark, 2 CPUs
const KEYCLOAK_REFRESHES_PER_VCPU_S = 120 // Keycloak's sizing guide, per vCPU
const CODE_EXCHANGE_GOAL_PER_S = 300 // issue 13

async function main() {
  // startGateway picks the port and passes it as PORT; the template's {port} takes it from there.
  const bench = await benchGateway({ PUBLIC_URL_TEMPLATE: 'http://{host}:{port}' })
  const { gw } = bench
  let backends: Backends | undefined
  let stopFloor: (() => void) | undefined
  try {
    const { web, machine } = await setUp(bench)
    await bench.ready()
    backends = await backendsOf(bench.databaseUrl)
    const meter: Meter = { gatewayPid: gw.child.pid!, backends }
    const issuer = `http://bench.localhost:${gw.port}`
    const discover = (app: { clientId: string; clientSecret?: string | undefined }) =>
      client.discovery(
        new URL(issuer),
        app.clientId,
        { client_secret: app.clientSecret! },
        client.ClientSecretBasic(app.clientSecret!),
        { execute: [client.allowInsecureRequests], [client.customFetch]: tenantFetch },
      )
    const config = await discover(web)
    const machineConfig = await discover(machine)
    // One login: every later code comes from this browser's gateway session.
    const first = await authorize(config, { email: EMAIL, password: PASSWORD })
    if (!first.tokens)
      throw new Error(`login failed at ${first.at.url.href} (${first.at.res.status})`)
    const browser = first.browser
    // Untimed: warms up the gateway's token path and yields distinct access tokens to verify.
    const { accessTokens } = await exchanges(config, browser, meter, { seconds: 0 })
    const chains = await refreshChains(config, browser)
    // Each loop owns a chain: every refresh rotates it.
    const openIdClient = {
      clientCredentials: () => client.clientCredentialsGrant(machineConfig),
      refresh: async (_: number, worker: number) => {
        const tokens = await client.refreshTokenGrant(config, chains[worker]!)
        chains[worker] = tokens.refresh_token!
      },
      exchange: openIdExchange(config),
    }
    for (let i = 0; i < 50; i++) await openIdClient.clientCredentials()

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

    const keycloak = KEYCLOAK_REFRESHES_PER_VCPU_S * cores
    const hydra = (rate: number) => versus(rate, HYDRA_CLIENT_CREDENTIALS_PER_S, 'Hydra 513/s')
    const keycloakVs = (rate: number) => versus(rate, keycloak, `Keycloak ${keycloak}/s`)
    const exchangeGoal = (rate: number) => versus(rate, CODE_EXCHANGE_GOAL_PER_S, 'goal 300/s')
    const wrk = hasWrk()
    if (!wrk) console.log('wrk not found (apt-get install wrk): its phases are skipped')
    const floor = await startFloor()
    stopFloor = floor.stop
    console.log(
      `${new Date().toISOString()} cores ${cores} (${cpus()[0]?.model ?? '?'}), node ${process.version}, RS256 2048-bit, ${SECONDS} s per phase, load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')} before`,
    )
    console.log(
      `concurrency: jose ${cores}, grants ${2 * cores} (codes collected beforehand, untimed); peers: Ory Hydra ${HYDRA_CLIENT_CREDENTIALS_PER_S} client-credentials grants/s on 2 CPUs, Keycloak ${KEYCLOAK_REFRESHES_PER_VCPU_S} refreshes/s per vCPU = ${keycloak}/s on ${cores}`,
    )
    console.log(HEAD)
    for (let round = 0; round < ROUNDS; round++) {
      const signing = await loop(sign)
      row('raw jose RS256 sign (floor)', signing)
      row('raw jose verify', await loop(rawVerify))
      row('jose verify, gateway JWKS', await loop(jwksVerify))
      const cc = await grants(meter, openIdClient.clientCredentials)
      row('client credentials, openid-client', cc, hydra(cc.rate))
      const refreshed = await grants(meter, openIdClient.refresh)
      row('refresh, openid-client', refreshed, keycloakVs(refreshed.rate))
      const exchanged = await exchanges(config, browser, meter)
      row('code exchange, openid-client', exchanged, exchangeGoal(exchanged.rate))
      console.log(
        `  client CPU per grant (openid-client, this process): client credentials ${cc.cpuMs.bench.toFixed(2)} ms, refresh ${refreshed.cpuMs.bench.toFixed(2)} ms, exchange ${exchanged.cpuMs.bench.toFixed(2)} ms; collecting a code (GET /auth on the session, sequential, untimed) took ${exchanged.collectMs.toFixed(1)} ms; load average ${loadavg()[0]!.toFixed(2)}`,
      )
      if (!wrk) continue
      const host = new URL(issuer).host
      const wcc = await wrkGrants(meter, gw.port, tokenScript({ host, app: machine, mode: 'cc' }))
      row('client credentials, wrk', wcc, hydra(wcc.rate))
      // Chains of their own (openid-client's go on in the next round), two per connection: an
      // answer comes back before the connection asks for its next chain.
      const fresh = [
        ...(await refreshChains(config, browser)),
        ...(await refreshChains(config, browser)),
      ]
      const wrefresh = await wrkGrants(
        meter,
        gw.port,
        tokenScript({ host, app: web, mode: 'refresh', items: fresh }),
      )
      row('refresh, wrk', wrefresh, keycloakVs(wrefresh.rate))
      // Codes for a few seconds at the goal's rate, collected first (untimed; a code lives 60 s).
      const forms: string[] = []
      for (let i = 0; i < EXCHANGES_PER_WRK_PHASE; i++) {
        const c = await code(config, browser)
        forms.push(
          new URLSearchParams({
            grant_type: 'authorization_code',
            code: c.url.searchParams.get('code')!,
            redirect_uri: REDIRECT,
            code_verifier: c.verifier,
          }).toString(),
        )
      }
      const wexchange = await wrkGrants(
        meter,
        gw.port,
        tokenScript({ host, app: web, mode: 'exchange', items: forms }),
        // wrk's duration: long enough for every code at 100/s (the script measures its own).
        Math.ceil(EXCHANGES_PER_WRK_PHASE / 100),
      )
      row('code exchange, wrk', wexchange, exchangeGoal(wexchange.rate))
      // The floor: oidc-provider alone (memory adapter, static client), the same wrk phases.
      const floorHost = `127.0.0.1:${floor.port}`
      const fcc = await wrkGrants(
        floor.meter,
        floor.port,
        tokenScript({ host: floorHost, app: floor.client, mode: 'cc' }),
      )
      row('client credentials, floor', fcc, `gateway ${pct(wcc.rate, fcc.rate)} of it`)
      const frefresh = await wrkGrants(
        floor.meter,
        floor.port,
        tokenScript({
          host: floorHost,
          app: floor.client,
          mode: 'refresh',
          items: await floor.chains(2 * (2 * cores)),
        }),
      )
      row('refresh, floor', frefresh, `gateway ${pct(wrefresh.rate, frefresh.rate)} of it`)
      console.log(
        `  client CPU per grant (wrk): client credentials ${wcc.cpuMs.bench.toFixed(2)} ms, refresh ${wrefresh.cpuMs.bench.toFixed(2)} ms, exchange ${wexchange.cpuMs.bench.toFixed(2)} ms; refused: ${wcc.errors + wrefresh.errors + wexchange.errors}; load average ${loadavg()[0]!.toFixed(2)}`,
      )
      console.log(`  sign floor ${signing.rate.toFixed(0)}/s`)
    }
    console.log(
      `load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')} after (other work on the machine skews every rate; CPU per grant much less)`,
    )
    const one = { raw: await loop(rawVerify, 1), jwks: await loop(jwksVerify, 1) }
    console.log(
      `jose verify at concurrency 1: raw ${one.raw.rate.toFixed(0)}/s, gateway JWKS ${one.jwks.rate.toFixed(0)}/s`,
    )
  } finally {
    stopFloor?.()
    await backends?.end()
    await bench.close()
  }
}

await main()
