import { randomBytes } from 'node:crypto'
import { sql } from 'kysely'
import * as client from 'openid-client'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { CSRF_HEADER } from '../../src/console/csrf.js'
import { dbOn } from '../../src/db/database.js'
import { onPostgres } from '../support/database.js'
import { admin, withDatabase } from '../support/global-setup.js'
import { TEST_ENV } from '../support/harness.js'
import { authorize, httpBrowser, REDIRECT, tenantFetch } from '../support/oidc.js'
import { PASSWORD } from '../support/pages.js'
import { freePort, type GatewayProcess, ready, startGateway } from '../support/process.js'
import { extractLink, startSmtp, type TestSmtp } from '../support/smtp.js'
import {
  type Haproxy,
  hasTopologyBinaries,
  type Pgbouncer,
  startHaproxy,
  startPgbouncer,
  untilAllUp,
} from '../support/topology.js'

// Issue 13: docker-compose.yml's topology on this machine, without Docker. HAProxy balances each
// request round robin over two `gateway serve` processes; they reach a fresh PostgreSQL database
// only through PgBouncer in transaction mode (three server connections for both), and send mail
// to a real SMTP server. Both start at once on the empty database: they migrate it and make the
// first store and its admin between them. Then an invitation, its activation, a sign-in and an
// app's authorization-code flow with PKCE, each request served by the other process than the one
// before: what one wrote (CSRF secret, session, interaction, code), the other read.
const ADMIN = 'owner@acme.test'
const MEMBER = 'ada@acme.test'
const MAIL_WAIT_MS = 120_000 // the outbox job of a process on a loaded machine

describe.skipIf(!onPostgres() || !hasTopologyBinaries)(
  'HAProxy, two gateway processes, PgBouncer in transaction mode (PostgreSQL with Debian haproxy and pgbouncer only)',
  () => {
    const serverUrl = inject('databaseUrl') as string
    const name = `${inject('clonePrefix')}topology_${randomBytes(4).toString('hex')}`
    let smtp: TestSmtp
    let bouncer: Pgbouncer
    let haproxy: Haproxy
    let gateways: GatewayProcess[] = []
    let origin: string

    beforeAll(async () => {
      smtp = await startSmtp()
      await admin(serverUrl, `create database ${name}`)
      bouncer = await startPgbouncer(withDatabase(serverUrl, name), 3)
      const publicPort = await freePort()
      origin = `http://acme.localhost:${publicPort}`
      const env = {
        ...TEST_ENV,
        NODE_ENV: 'production',
        DATABASE_URL: bouncer.url,
        SMTP_URL: smtp.url,
        PUBLIC_URL_TEMPLATE: `http://{host}:${publicPort}`,
        TRUST_PROXY: 'loopback',
        FIRST_TENANT_SLUG: 'acme',
        FIRST_TENANT_NAME: 'Acme Store',
        FIRST_ADMIN_EMAIL: ADMIN,
      }
      gateways = await Promise.all([0, 1].map(() => startGateway(env)))
      await Promise.all(gateways.map((g, i) => g.until(ready, `gateway ${i + 1} ready`)))
      const backends = gateways.map((g, i) => ({ name: `gateway-${i + 1}`, port: g.port }))
      haproxy = await startHaproxy(publicPort, backends)
      await untilAllUp(haproxy)
    }, 300_000) // two node + tsx processes migrating an empty database on a loaded machine

    afterAll(async () => {
      // A set-up that timed out says why: the gateways' own account (a refused connection…).
      if (!haproxy) for (const g of gateways) console.error(g.output().slice(-4_000))
      const codes = await Promise.all(gateways.map((g) => g.stop()))
      await haproxy?.stop()
      await bouncer?.stop()
      await smtp?.close()
      await admin(serverUrl, `drop database if exists ${name} with (force)`)
      expect(codes).toEqual([0, 0])
    }, 60_000)

    it('made the first store once and said what to do next', () => {
      const logs = gateways.map((g) => g.output())
      const made = logs.filter((l) => l.includes('first run: created the tenant \\"acme\\"'))
      expect(made, logs.join('\n')).toHaveLength(1)
      expect(made[0]).toContain('Open the link in the invitation mail')
      for (const log of logs) expect(log).not.toMatch(/migration .* failed|duplicate key/)
    })

    it('invites, activates, signs in and runs an OIDC code flow with PKCE, each step on the other process', async () => {
      // The first admin's invitation, mailed by whichever process's outbox job got it.
      const adminBrowser = httpBrowser()
      const adminLink = extractLink(await smtp.waitFor(ADMIN, MAIL_WAIT_MS), '/invite/')
      expect(new URL(adminLink).origin).toBe(origin)
      const activated = await adminBrowser.submit(adminLink, {
        password: PASSWORD,
        password_confirm: PASSWORD,
      })
      expect(activated.res.status).toBe(200)

      // The admin invites a member through the admin API, as the console's script does.
      const consolePage = await adminBrowser.request(`${origin}/admin/users`)
      expect(consolePage.status).toBe(200)
      const csrf = /<meta name="csrf-token" content="([^"]+)">/.exec(await consolePage.text())?.[1]
      const api = async (method: string, path: string, body: unknown) => {
        const url = new URL(`/admin/api/v1/tenants/acme${path}`, origin)
        const cookies = adminBrowser.jar.get(url.host) ?? new Map<string, string>()
        const res = await tenantFetch(url, {
          method,
          headers: {
            cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; '),
            'content-type': 'application/json',
            accept: 'application/json',
            [CSRF_HEADER]: csrf ?? '',
            origin,
            'sec-fetch-site': 'same-origin',
          },
          body: JSON.stringify(body),
        })
        return { status: res.status, body: (await res.json()) as Record<string, unknown> }
      }
      const invited = await api('POST', '/invitations', { emails: MEMBER })
      expect(invited.status, JSON.stringify(invited.body)).toBeLessThan(300)

      // The member activates the account from the mail the SMTP server received.
      const memberLink = extractLink(await smtp.waitFor(MEMBER, MAIL_WAIT_MS), '/invite/')
      const member = await httpBrowser().submit(memberLink, {
        password: PASSWORD,
        password_confirm: PASSWORD,
      })
      expect(member.res.status).toBe(200)

      // An app of the store, registered by the admin; then the member signs in to it in a new
      // browser: authorization request, login page, sign-in, consent, code, token, userinfo.
      const app = await api('POST', '/apps', {
        name: 'Shop',
        type: 'web',
        redirectUris: [REDIRECT],
      })
      expect(app.status, JSON.stringify(app.body)).toBe(201)
      const config = await client.discovery(
        new URL(origin),
        app.body.clientId as string,
        { client_secret: app.body.clientSecret as string },
        undefined,
        { execute: [client.allowInsecureRequests], [client.customFetch]: tenantFetch },
      )
      const flow = await authorize(config, { email: MEMBER, password: PASSWORD })
      expect(flow.at.url.href.startsWith(REDIRECT)).toBe(true)
      const tokens = flow.tokens!
      expect(tokens.claims()?.email).toBe(MEMBER)
      const info = await client.fetchUserInfo(config, tokens.access_token, tokens.claims()!.sub)
      expect(info.email).toBe(MEMBER)

      // HAProxy's own record: every request went to the other process than the one before,
      // and the flow's steps were spread over both.
      const hops = haproxy.hops()
      expect(hops.length).toBeGreaterThanOrEqual(15)
      hops.forEach((hop, i) => {
        if (i > 0)
          expect(hop.server, JSON.stringify(hops.slice(0, i + 1))).not.toBe(hops[i - 1]!.server)
      })
      const servedBy = (method: string, path: RegExp) =>
        new Set(hops.filter((h) => h.method === method && path.test(h.path)).map((h) => h.server))
      expect(servedBy('POST', /^\/invite\//).size).toBe(2) // the two activations
      expect(servedBy('GET', /^\/(auth|interaction|login)/).size).toBe(2)
      expect(hops.filter((h) => h.status >= 500)).toEqual([])

      // Each mail went once, though both processes run the outbox job.
      for (const to of [ADMIN, MEMBER])
        expect(smtp.messages.filter((m) => m.envelope.rcptTo.includes(to))).toHaveLength(1)
    }, 240_000)

    it('went through PgBouncer in transaction mode on a few server connections, leaving no lock', async () => {
      const database = new URL(bouncer.url).pathname.slice(1)
      const pools = (await bouncer.show('POOLS')).filter((p) => p.database === database)
      expect(pools.map((p) => p.pool_mode)).toEqual(['transaction'])
      const servers = (await bouncer.show('SERVERS')).filter((s) => s.database === database)
      expect(servers.length).toBeLessThanOrEqual(3)
      const [stats] = (await bouncer.show('STATS')).filter((s) => s.database === database)
      // Far more transactions than server connections: they were shared, one transaction at a time.
      expect(Number(stats?.total_xact_count)).toBeGreaterThan(100)

      const direct = dbOn({ url: withDatabase(serverUrl, name) })
      try {
        const { rows } = await sql<{ held: number }>`select count(*)::int as held from pg_locks
          where locktype = 'advisory' and database = (select oid from pg_database where datname = ${name})`.execute(
          direct,
        )
        expect(rows[0]!.held).toBe(0)
      } finally {
        await direct.destroy()
      }
    })
  },
)
