// SAML ACS sign-ins/s of a running gateway on PostgreSQL against bare node-saml
// validatePostResponseAsync on the same signed responses, measured in one run (issue 10: the
// gateway should keep >= 60 % of the bare rate while adding the replay store, InResponseTo,
// just-in-time provisioning and the session). Run: npx tsx bench/sso.ts
// Env: BENCH_DATABASE_URL, BENCH_RESPONSES (per round, 1500), BENCH_ROUNDS (2).
import { readdirSync, readFileSync } from 'node:fs'
import { request } from 'node:http'
import { availableParallelism } from 'node:os'
import { SAML, ValidateInResponseTo } from '@node-saml/node-saml'
import autocannon from 'autocannon'
import { createIdp, PERSON } from '../test/support/saml-idp.js'
import { addSamlDirectory } from '../test/support/saml-sign-in.js'
import { benchGateway, seedBenchTenant } from './support.js'

const RESPONSES = Number(process.env.BENCH_RESPONSES ?? 1500)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2)
const PEOPLE = 200 // the first round makes them just in time, later sign-ins refresh them
const cores = availableParallelism()
const HOST = 'bench.localhost'
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? cores * 4)

function get(port: number, path: string): Promise<{ status: number; location: string }> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path, headers: { host: HOST } }, (res) => {
      res
        .resume()
        .on('end', () =>
          resolve({ status: res.statusCode ?? 0, location: String(res.headers.location) }),
        )
    })
      .on('error', reject)
      .end()
  })
}

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

async function main() {
  const bench = await benchGateway({ PUBLIC_URL_TEMPLATE: 'http://{host}' })
  try {
    const { db, tenant } = await seedBenchTenant(bench.databaseUrl, bench.secretKey, [], 'x')
    const idp = createIdp()
    const directory = await addSamlDirectory(db, tenant, idp)
    await db.destroy()
    await bench.ready()
    const port = bench.gw.port
    const metadata = await fetchText(port, `/sso/saml/${directory.id}/metadata`)
    // The SP as the gateway names it (its public URL, not this seed's configuration).
    const sp = idp.readRequest((await get(port, `/sso/${directory.id}/start`)).location, metadata)
    // node-saml as its README configures it, with the gateway's security options.
    const bare = new SAML({
      issuer: sp.issuer,
      audience: sp.issuer,
      callbackUrl: sp.acsUrl,
      idpCert: idp.certificates,
      wantAssertionsSigned: true,
      wantAuthnResponseSigned: false,
      acceptedClockSkewMs: 60_000,
      validateInResponseTo: ValidateInResponseTo.never,
    })

    /** Sign-ins started at the gateway (untimed) and the IdP's signed answer to each. */
    async function responses(round: number): Promise<string[]> {
      const fields: string[] = []
      for (let i = 0; i < RESPONSES; i += 16) {
        const started = await Promise.all(
          Array.from({ length: Math.min(16, RESPONSES - i) }, () =>
            get(port, `/sso/${directory.id}/start`),
          ),
        )
        for (const [j, s] of started.entries()) {
          const n = (round * RESPONSES + i + j) % PEOPLE
          const authn = idp.readRequest(s.location, metadata)
          fields.push(
            idp.response({
              nameId: `user${n}@corp.example`,
              attributes: { ...PERSON.attributes, email: `user${n}@corp.example` },
              inResponseTo: authn.id,
              acsUrl: authn.acsUrl,
              audience: authn.issuer,
            }),
          )
        }
      }
      return fields
    }

    async function bareRate(fields: string[]) {
      const t = performance.now()
      for (const SAMLResponse of fields) await bare.validatePostResponseAsync({ SAMLResponse })
      return fields.length / ((performance.now() - t) / 1000)
    }

    async function gatewayRate(fields: string[]) {
      let next = 0
      const gatewayCpu = cpuSeconds(bench.gw.child.pid!)
      const postgresCpu = cpuSeconds('postgres')
      const clientCpu = process.cpuUsage()
      const t = performance.now()
      const result = await autocannon({
        url: `http://127.0.0.1:${port}/sso/saml/${directory.id}/acs`,
        method: 'POST',
        connections: CONNECTIONS,
        amount: fields.length,
        headers: { host: HOST, 'content-type': 'application/x-www-form-urlencoded' },
        requests: [
          {
            setupRequest: (req) => {
              const SAMLResponse = fields[next++ % fields.length]!
              return { ...req, body: new URLSearchParams({ SAMLResponse }).toString() }
            },
          },
        ],
      })
      const seconds = (performance.now() - t) / 1000
      const ok = result.statusCodeStats?.['303']?.count ?? 0
      const client = process.cpuUsage(clientCpu)
      const ms = (cpu: number) => ((cpu * 1000) / fields.length).toFixed(1).padStart(5)
      const cpu = `${ms(cpuSeconds(bench.gw.child.pid!) - gatewayCpu)} ${ms(cpuSeconds('postgres') - postgresCpu)} ${ms((client.user + client.system) / 1e6)}`
      return { rps: ok / seconds, failed: result.requests.total - ok, p50: result.latency.p50, cpu }
    }

    console.log(
      `cores ${cores}, ${RESPONSES} responses per round, ${CONNECTIONS} connections, ${PEOPLE} people`,
    )
    console.log(
      'round   bare node-saml /s   gateway ACS /s   p50 ms   non-303   ratio   CPU ms per sign-in: gateway postgres client',
    )
    const bares: number[] = []
    const gateways: number[] = []
    for (let round = 0; round < ROUNDS; round++) {
      const fields = await responses(round)
      const b = await bareRate(fields)
      const g = await gatewayRate(fields)
      bares.push(b)
      gateways.push(g.rps)
      console.log(
        `${String(round + 1).padStart(5)} ${b.toFixed(1).padStart(19)} ${g.rps.toFixed(1).padStart(16)} ${g.p50.toFixed(1).padStart(8)} ${String(g.failed).padStart(9)} ${((g.rps / b) * 100).toFixed(0).padStart(6)} %   ${g.cpu}`,
      )
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length
    console.log(
      `gateway / bare node-saml: ${((mean(gateways) / mean(bares)) * 100).toFixed(1)} % (goal >= 60 %)`,
    )
  } finally {
    await bench.close()
  }
}

function fetchText(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path, headers: { host: HOST } }, (res) => {
      let body = ''
      res.on('data', (d) => (body += d))
      res.on('end', () => resolve(body))
    })
      .on('error', reject)
      .end()
  })
}

await main()
