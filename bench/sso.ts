// SAML sign-ins/s of a running gateway on PostgreSQL against bare node-saml
// validatePostResponseAsync on the same signed responses, measured in one run (issue 10: the
// gateway should keep >= 60 % of the bare rate while adding the replay store, InResponseTo,
// just-in-time provisioning and the session). A sign-in is what a browser does: the IdP's
// cross-site POST to the ACS (no cookie), then the same-site GET of its continue step with the
// browser's binding cookie, which must end in a session cookie. Run: npx tsx bench/sso.ts
// Env: BENCH_DATABASE_URL, BENCH_RESPONSES (per round, 1500), BENCH_ROUNDS (3),
// BENCH_CONNECTIONS (4 x cores), BENCH_NODE_ARGS (the gateway's node).
import { readdirSync, readFileSync } from 'node:fs'
import { Agent, type IncomingMessage, request } from 'node:http'
import { availableParallelism, loadavg } from 'node:os'
import { SAML, ValidateInResponseTo } from '@node-saml/node-saml'
import { createIdp, PERSON } from '../test/support/saml-idp.js'
import { addSamlDirectory } from '../test/support/saml-sign-in.js'
import { workerPool } from '../src/lib/worker-pool.js'
import { benchGateway, seedBenchTenant } from './support.js'

const RESPONSES = Number(process.env.BENCH_RESPONSES ?? 1500)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)
const PEOPLE = 200 // the first round makes them just in time, later sign-ins refresh them
const WARMUP = Number(process.env.BENCH_WARMUP ?? 500) // untimed sign-ins of other people first
const cores = availableParallelism()
const HOST = 'bench.localhost'
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? cores * 4)
// On http the gateway's cookies carry no __Host- prefix (src/http/cookies.ts, hostCookieName).
const BROWSER_COOKIE = 'gw_sso_browser'
const SESSION_COOKIE = 'gw_session'

type Reply = { status: number; location: string; cookies: string[]; body: string }

// A fresh pool for each phase: a socket left idle through the bare phase may be closed by the
// gateway (its keep-alive timeout) just as it is reused, which would count as a failure.
let agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS })
const freshAgent = () => {
  agent.destroy()
  agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS })
}

function send(
  port: number,
  input: { method?: string; path: string; headers?: Record<string, string>; body?: string },
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers = { host: HOST, ...input.headers }
    const req = request(
      { host: '127.0.0.1', port, agent, method: input.method ?? 'GET', path: input.path, headers },
      (res: IncomingMessage) => {
        let body = ''
        res.setEncoding('utf8')
        res.on('data', (d: string) => (body += d))
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            location: String(res.headers.location ?? ''),
            cookies: res.headers['set-cookie'] ?? [],
            body,
          }),
        )
      },
    )
    req.on('error', reject)
    req.end(input.body)
  })
}

/** The value of cookie `name` among Set-Cookie headers, if set (and not cleared). */
const cookieValue = (cookies: string[], name: string) =>
  cookies
    .map((c) => c.split(';')[0]!)
    .find((c) => c.startsWith(`${name}=`) && c.length > name.length + 1)
    ?.slice(name.length + 1)

/** CPU seconds (user + system) so far of `pid`, or of every postgres process. */
function cpuSeconds(pid: number | 'postgres'): number {
  const pids =
    pid === 'postgres' ? readdirSync('/proc').filter((p) => /^\d+$/.test(p)) : [String(pid)]
  let ticks = 0
  for (const p of pids) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8')
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))
      if (pid === 'postgres' && comm !== 'postgres') continue
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      ticks += Number(fields[11]) + Number(fields[12]) // utime, stime
    } catch {
      // gone meanwhile
    }
  }
  return ticks / 100
}

const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')

/** One browser's sign-in, prepared: its binding cookie and the IdP's signed answer. */
type Prepared = { browser: string; SAMLResponse: string }

async function main() {
  console.log(`load average before: ${load()}`)
  const bench = await benchGateway({ PUBLIC_URL_TEMPLATE: 'http://{host}' })
  let threads:
    ReturnType<typeof workerPool<{ options: object; responses: string[] }, number>> | undefined
  try {
    const { db, tenant } = await seedBenchTenant(bench.databaseUrl, bench.secretKey, [], 'x')
    const idp = createIdp()
    const directory = await addSamlDirectory(db, tenant, idp)
    await db.destroy()
    await bench.ready()
    const port = bench.gw.port
    const metadata = (await send(port, { path: `/sso/saml/${directory.id}/metadata` })).body
    const startPath = `/sso/${directory.id}/start`
    // The SP as the gateway names it (its public URL, not this seed's configuration).
    const sp = idp.readRequest((await send(port, { path: startPath })).location, metadata)
    // node-saml as its README configures it, with the gateway's security options.
    const bareOptions = {
      issuer: sp.issuer,
      audience: sp.issuer,
      callbackUrl: sp.acsUrl,
      idpCert: idp.certificates,
      wantAssertionsSigned: true,
      wantAuthnResponseSigned: false,
      acceptedClockSkewMs: 60_000,
      validateInResponseTo: ValidateInResponseTo.never,
    }
    const bare = new SAML(bareOptions)
    // The same on one worker thread per core: what node-saml alone does with the whole machine.
    threads = workerPool<{ options: typeof bareOptions; responses: string[] }, number>(
      new URL('./sso-bare.worker.ts', import.meta.url),
      cores,
    )

    /** Sign-ins started at the gateway, each by a browser of its own, and signed (untimed). */
    async function prepare(round: number, count = RESPONSES, who = 'user'): Promise<Prepared[]> {
      freshAgent()
      const prepared: Prepared[] = []
      for (let i = 0; i < count; i += 16) {
        const started = await Promise.all(
          Array.from({ length: Math.min(16, count - i) }, () => send(port, { path: startPath })),
        )
        for (const [j, s] of started.entries()) {
          const browser = cookieValue(s.cookies, BROWSER_COOKIE)
          if (s.status !== 303 || !browser) throw new Error(`start answered ${s.status}`)
          const n = (round * count + i + j) % PEOPLE
          const authn = idp.readRequest(s.location, metadata)
          const SAMLResponse = idp.response({
            nameId: `${who}${n}@corp.example`,
            attributes: { ...PERSON.attributes, email: `${who}${n}@corp.example` },
            inResponseTo: authn.id,
            acsUrl: authn.acsUrl,
            audience: authn.issuer,
          })
          prepared.push({ browser, SAMLResponse })
        }
      }
      return prepared
    }

    async function bareRate(prepared: Prepared[]) {
      const t = performance.now()
      for (const { SAMLResponse } of prepared)
        await bare.validatePostResponseAsync({ SAMLResponse })
      return prepared.length / ((performance.now() - t) / 1000)
    }

    /** The same responses over `cores` worker threads, in batches of 50. */
    async function threadsRate(prepared: Prepared[]) {
      const t = performance.now()
      const batches: string[][] = []
      for (let i = 0; i < prepared.length; i += 50)
        batches.push(prepared.slice(i, i + 50).map((p) => p.SAMLResponse))
      await Promise.all(
        batches.map((responses) => threads!.run({ options: bareOptions, responses })),
      )
      return prepared.length / ((performance.now() - t) / 1000)
    }

    /** The ACS POST, then its continue step with this browser's cookie: a session, or why not. */
    async function signIn(p: Prepared): Promise<string | undefined> {
      const acs = await send(port, {
        method: 'POST',
        path: `/sso/saml/${directory.id}/acs`,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ SAMLResponse: p.SAMLResponse }).toString(),
      })
      if (acs.status !== 303 || !acs.location.includes('/continue?'))
        return `ACS ${acs.status} ${acs.location}`
      const next = await send(port, {
        path: acs.location,
        headers: { cookie: `${BROWSER_COOKIE}=${p.browser}` },
      })
      if (next.status !== 303) return `continue ${next.status}`
      if (!cookieValue(next.cookies, SESSION_COOKIE)) return 'continue 303 without a session'
      return undefined
    }

    async function gatewayRate(prepared: Prepared[]) {
      freshAgent()
      let next = 0
      const failures = new Map<string, number>()
      const latencies: number[] = []
      const gatewayCpu = cpuSeconds(bench.gw.child.pid!)
      const postgresCpu = cpuSeconds('postgres')
      const clientCpu = process.cpuUsage()
      const t = performance.now()
      await Promise.all(
        Array.from({ length: CONNECTIONS }, async () => {
          while (next < prepared.length) {
            const p = prepared[next++]!
            const started = performance.now()
            const failure = await signIn(p).catch((err: Error) => `error ${err.message}`)
            if (failure) failures.set(failure, (failures.get(failure) ?? 0) + 1)
            else latencies.push(performance.now() - started)
          }
        }),
      )
      const seconds = (performance.now() - t) / 1000
      const client = process.cpuUsage(clientCpu)
      const ms = (cpu: number) => ((cpu * 1000) / prepared.length).toFixed(1).padStart(5)
      const cpu = `${ms(cpuSeconds(bench.gw.child.pid!) - gatewayCpu)} ${ms(cpuSeconds('postgres') - postgresCpu)} ${ms((client.user + client.system) / 1e6)}`
      latencies.sort((a, b) => a - b)
      const p50 = latencies[Math.floor(latencies.length / 2)] ?? Number.NaN
      return { rps: latencies.length / seconds, failures, p50, cpu }
    }

    console.log(
      `cores ${cores}, ${RESPONSES} sign-ins per round, ${CONNECTIONS} connections, ${PEOPLE} people`,
    )
    // Untimed: other people's sign-ins warm the gateway (JIT, its validation workers, the pool)
    // and both peers; the bench's own people are still made just in time by round 1.
    const warm = await prepare(0, WARMUP, 'warmup')
    await bareRate(warm)
    await threadsRate(warm)
    const warmed = await gatewayRate(warm)
    if (warmed.failures.size > 0) throw new Error(`warm-up failed: ${[...warmed.failures.keys()]}`)
    console.log(
      `round   bare node-saml /s (1 thread, ${cores} threads)   gateway sign-ins /s   p50 ms   failed   ratio   CPU ms per sign-in: gateway postgres client`,
    )
    const bares: number[] = []
    const multi: number[] = []
    const gateways: number[] = []
    for (let round = 0; round < ROUNDS; round++) {
      const prepared = await prepare(round)
      const b = await bareRate(prepared)
      const m = await threadsRate(prepared)
      const g = await gatewayRate(prepared)
      bares.push(b)
      multi.push(m)
      gateways.push(g.rps)
      const failed = [...g.failures.values()].reduce((a, n) => a + n, 0)
      console.log(
        `${String(round + 1).padStart(5)} ${b.toFixed(1).padStart(18)} ${m.toFixed(1).padStart(10)} ${g.rps.toFixed(1).padStart(34)} ${g.p50.toFixed(1).padStart(8)} ${String(failed).padStart(8)} ${((g.rps / b) * 100).toFixed(0).padStart(6)} %   ${g.cpu}`,
      )
      for (const [failure, n] of g.failures) console.log(`      ${n} x ${failure}`)
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length
    const share = (peer: number[]) => ((mean(gateways) / mean(peer)) * 100).toFixed(1)
    console.log(
      `gateway ${mean(gateways).toFixed(1)} sign-ins/s; bare node-saml ${mean(bares).toFixed(1)} /s on one thread: ${share(bares)} % (goal >= 60 %); ${mean(multi).toFixed(1)} /s on ${cores} threads: ${share(multi)} %`,
    )
  } finally {
    agent.destroy()
    await threads?.close()
    await bench.close()
    console.log(`load average after: ${load()}`)
  }
}

await main()
