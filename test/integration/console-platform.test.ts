import { describe, expect, it } from 'vitest'
import { ensurePlatformTenant, PLATFORM_NAME } from '../../src/console/platform.js'
import { runCli } from '../support/cli.js'
import { consoleHelpers } from '../support/console.js'
import { memoryLog, useGateway } from '../support/harness.js'

// Issue 11: platform admins are the admins of a built-in platform tenant at PLATFORM_HOST;
// `gateway admin create` invites the first one.
const gw = useGateway()
const h = consoleHelpers(gw)
const cli = (...argv: string[]) =>
  runCli({ config: gw.config, db: gw.db, log: memoryLog().log }, ...argv)
const HOST = 'admin.localhost'
const ORIGIN = `http://${HOST}:3000`
let n = 0
const uniqueEmail = () => `root-${process.pid}-${++n}-${Date.now()}@example.com`

/** `gateway admin create` in this process; its link, opened and activated. */
async function platformAdmin() {
  const email = uniqueEmail()
  const res = await cli('admin', 'create', '--email', email)
  expect(res.code).toBe(0)
  const link = res.out.trim()
  expect(link).toMatch(new RegExp(`^${ORIGIN}/invite/[A-Za-z0-9_-]{43}$`))
  expect(res.err).toContain(`invited ${email} as a platform admin`)
  expect(res.err).toContain(`sign in at ${ORIGIN}/admin`)
  const b = h.browser(HOST)
  const token = link.slice(link.lastIndexOf('/') + 1)
  expect((await h.activate(b, token)).status).toBe(303)
  const csrf = await h.consoleToken(b)
  const call = (method: 'get' | 'post', path: string) =>
    h.api(b, HOST, method, path, { 'X-CSRF-Token': csrf, Origin: ORIGIN })
  return { email, link, token, b, call }
}

describe('platform admins', () => {
  it('creates the platform tenant once, at PLATFORM_HOST, with its own user database', async () => {
    const first = await ensurePlatformTenant(gw.db, gw.config)
    const again = await ensurePlatformTenant(gw.db, gw.config)
    expect(again.created).toBe(false)
    expect(again.tenant.id).toBe(first.tenant.id)
    expect(first.tenant).toMatchObject({ slug: 'admin', name: PLATFORM_NAME, publicUrl: ORIGIN })
    expect(again.warning).toBeUndefined()
    const directories = await gw.db
      .selectFrom('tenant_directories as td')
      .innerJoin('directories as d', 'd.id', 'td.directory_id')
      .select(['d.kind', 'd.name'])
      .where('td.tenant_id', '=', first.tenant.id)
      .execute()
    expect(directories).toEqual([{ kind: 'database', name: 'Platform admins' }])
  })

  it('`gateway admin create` prints a link that makes a platform admin, who sees every tenant', async () => {
    const other = await h.store()
    const { b, call, token } = await platformAdmin()
    const page = await b.get('/admin/tenants')
    expect(page.status).toBe(200)
    expect(page.text).toContain('data-source="/admin/api/v1/tenants"')
    expect(page.text).toContain('<a href="/admin/tenants" aria-current="page">Tenants</a>')
    const list = await call('get', '/tenants')
    expect(list.status).toBe(200)
    const slugs = (list.body.items as { slug: string; platform: boolean }[]).map((t) => [
      t.slug,
      t.platform,
    ])
    expect(slugs).toContainEqual([other.tenant.slug, false])
    expect(slugs).toContainEqual(['admin', true])
    // Every tenant's admin API, from the platform host.
    expect((await call('get', `/tenants/${other.tenant.slug}/invitations`)).status).toBe(200)
    expect(
      (
        await call('post', `/tenants/${other.tenant.slug}/invitations`).send({
          emails: 'via-platform@example.com',
        })
      ).body.counts.invited,
    ).toBe(1)
    // The link was single use.
    const again = await h.browser(HOST).get(`/invite/${token}`)
    expect(again.text).toContain('This link is no longer valid')
  })

  it("a store's own admin stays a store admin: no tenant list, no other store", async () => {
    const a = await h.adminConsole()
    const other = await h.store()
    expect((await a.call('get', '/tenants')).status).toBe(403)
    expect((await a.call('get', `/tenants/${other.tenant.slug}/invitations`)).status).toBe(404)
  })

  it('a member of the platform tenant without the admin role is refused', async () => {
    const { tenant } = await ensurePlatformTenant(gw.db, gw.config)
    const b = await h.signedIn(tenant, HOST, uniqueEmail(), 'user')
    expect((await b.get('/admin/tenants')).status).toBe(403)
    expect((await h.api(b, HOST, 'get', '/tenants', { 'X-CSRF-Token': 'x' })).status).toBe(403)
  })

  it('`gateway admin create --tenant SLUG` invites a store admin; usage errors exit 2', async () => {
    const s = await h.store()
    const email = uniqueEmail()
    const res = await cli('admin', 'create', '--tenant', s.tenant.slug, '--email', email)
    expect(res.code).toBe(0)
    expect(res.out).toMatch(new RegExp(`^http://${s.host}:3000/invite/`))
    expect(res.err).toContain(`as an admin of ${s.tenant.slug}`)
    const twice = await cli('admin', 'create', '--tenant', s.tenant.slug, '--email', email)
    expect(twice.code).toBe(0) // still pending: reinvited, with a fresh link
    expect(twice.out).not.toBe(res.out)
    for (const argv of [
      ['admin'],
      ['admin', 'create'],
      ['admin', 'create', '--email'],
      ['admin', 'delete'],
    ]) {
      const bad = await cli(...argv)
      expect(bad.code).toBe(2)
      expect(bad.err).toContain('usage: gateway <command>')
    }
    const invalid = await cli('admin', 'create', '--email', 'not an address')
    expect(invalid.code).toBe(2)
  })
})
