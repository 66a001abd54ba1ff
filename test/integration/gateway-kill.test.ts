import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startBalancer } from '../support/balancer.js'
import { formToken } from '../support/cookies.js'
import { onPostgres, openTestDb } from '../support/database.js'
import { type Gateway, gatewayOn, TEST_ENV } from '../support/harness.js'
import { authorizationRequest, exchangeCode, httpBrowser, relyingParty } from '../support/oidc.js'
import { DAY, PASSWORD, pageHelpers } from '../support/pages.js'
import { freePort, type GatewayProcess, ready, startGateway } from '../support/process.js'
import { startSmtp, type TestSmtp } from '../support/smtp.js'

// Issue 13, faults: three `gateway serve` processes on one PostgreSQL behind one balancer. Their
// jobs run each piece of work once (a batch of mail and reminders, each delivered once to a
// real SMTP server), and a process killed with SIGKILL mid-flow leaves nothing the next one
// cannot finish: an activation, and an OIDC login between its login page and its callback.
const SLOW = { timeout: 300_000 }
const PEOPLE = 30

let database: Awaited<ReturnType<typeof openTestDb>>
let gw: Gateway
let smtp: TestSmtp
let balancer: Awaited<ReturnType<typeof startBalancer>>
let port: number
let route = 0 // which process the balancer sends every request to
const processes: GatewayProcess[] = []
const invited: string[] = []
let tenantSlug = ''

beforeAll(async () => {
  if (!onPostgres()) return
  database = await openTestDb('own')
  port = await freePort()
  const env = { PUBLIC_URL_TEMPLATE: `http://{host}:${port}` }
  gw = gatewayOn(database, env)
  smtp = await startSmtp()
  // Before any process runs: invitations sent three days ago (their reminder is due, the
  // tenant's interval is two days), their first mail still in the outbox.
  const { store, invite } = pageHelpers(gw)
  const { tenant } = await store()
  tenantSlug = tenant.slug
  for (let i = 0; i < PEOPLE; i++) {
    const email = `p${i}-${randomBytes(3).toString('hex')}@example.test`
    await invite(tenant, email)
    invited.push(email)
  }
  await gw.db
    .updateTable('invitations')
    .set({ last_sent_at: new Date(Date.now() - 3 * DAY) })
    .where('tenant_id', '=', tenant.id)
    .execute()
  balancer = await startBalancer(port, () => route)
  const started = await Promise.all(
    [0, 1, 2].map(() =>
      startGateway({
        ...TEST_ENV,
        ...env,
        LOG_LEVEL: 'debug',
        DATABASE_URL: database.url!,
        SMTP_URL: smtp.url,
      }),
    ),
  )
  processes.push(...started)
  for (const p of processes) {
    await p.until(ready, 'ready')
    balancer.backends.push(p.port)
  }
}, 300_000)
afterAll(async () => {
  if (!onPostgres()) return
  await Promise.all(processes.map((p) => p.stop()))
  await balancer?.close()
  await smtp?.close()
  await database?.close()
})

describe.runIf(onPostgres())('three gateway processes on one PostgreSQL', SLOW, () => {
  it('deliver every invitation and every reminder once between them', async () => {
    for (const email of invited) await smtp.waitFor(email, 120_000)
    const both = () =>
      invited.every((e) => smtp.messages.filter((m) => m.envelope.rcptTo.includes(e)).length >= 2)
    for (let waited = 0; !both() && waited < 120_000; waited += 500)
      await new Promise((r) => setTimeout(r, 500))
    await new Promise((r) => setTimeout(r, 7_000)) // another sender tick of every process
    for (const email of invited) {
      const ids = smtp.messages
        .filter((m) => m.envelope.rcptTo.includes(email))
        .map((m) => m.headers.find((h) => h.key === 'message-id')?.value)
      expect(ids, email).toHaveLength(2) // the invitation and its reminder, once each
      expect(new Set(ids).size).toBe(2)
    }
    const sentBy = processes.map((p) =>
      [...p.output().matchAll(/"job":"send-outbox","result":\{"sent":(\d+)/g)].reduce(
        (n, m) => n + Number(m[1]),
        0,
      ),
    )
    console.log(`mails sent by each process: ${sentBy.join(', ')} (${smtp.messages.length} in all)`)
    expect(sentBy.reduce((a, b) => a + b, 0)).toBe(2 * PEOPLE)
  })

  it('finishes an activation on another process when the one that served its page is killed', async () => {
    const { invite, lastLink } = pageHelpers(gw)
    const { getTenant } = await import('../../src/tenants/tenants.js')
    const tenant = (await getTenant(gw.db, tenantSlug, gw.config))!
    const email = `kill-${randomBytes(3).toString('hex')}@example.test`
    await invite(tenant, email)
    const token = await lastLink(tenant, email, '/invite/')
    const url = `http://${tenant.slug}.localhost:${port}/invite/${token}`

    const browser = httpBrowser()
    route = 0
    const page = await browser.request(url)
    expect(page.status).toBe(200)
    const csrf = formToken(await page.text())
    processes[0]!.child.kill('SIGKILL')
    await processes[0]!.stop()
    route = 1
    const done = await browser.follow(url, {
      form: { _csrf: csrf!, password: PASSWORD, password_confirm: PASSWORD },
    })
    expect(done.res.status).toBeLessThan(400)
    const signIn = await browser.follow(`http://${tenant.slug}.localhost:${port}/login`)
    const signedIn = await httpBrowser().signIn(signIn, email, PASSWORD)
    expect(signedIn.res.status).toBeLessThan(400)
  })

  it('finishes an OIDC login on another process when the one that served its login page is killed', async () => {
    const { member } = pageHelpers(gw)
    route = 1
    const { tenant } = await member('ada@example.com')
    const { config } = await relyingParty(gw, tenant)
    const request = await authorizationRequest(config, { scope: 'openid email' })
    const browser = httpBrowser()
    const atLogin = await browser.follow(request.url)
    expect(atLogin.url.pathname).toBe('/login')
    processes[1]!.child.kill('SIGKILL')
    await processes[1]!.stop()
    route = 2
    const back = await browser.signIn(atLogin, 'ada@example.com', PASSWORD)
    expect(back.url.searchParams.get('code')).toBeTruthy()
    const tokens = await exchangeCode(config, back.url, request)
    expect(tokens.claims()?.email).toBe('ada@example.com')
  })
})
