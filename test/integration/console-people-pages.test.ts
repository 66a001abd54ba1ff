import { describe, expect, it } from 'vitest'
import { consoleHelpers } from '../support/console.js'
import { useGateway } from '../support/harness.js'
import { addPeople } from '../support/members.js'

// Issue 11: the console's people pages (members, one member, guests, groups) on the store's host.
const gw = useGateway()
const h = consoleHelpers(gw)
const PAGES = ['/admin/members', '/admin/guests', '/admin/groups']

describe('the console people pages', () => {
  it('serves each page to an admin: its frame, the API it reads, its script and no inline code', async () => {
    const { tenant, host } = await h.store()
    const b = await h.signedIn(tenant, host, 'boss@example.com')
    const [id] = await addPeople(gw.db, tenant, [{ email: 'zoe@example.com' }])
    const api = `/admin/api/v1/tenants/${tenant.slug}`
    for (const [path, page] of [
      ['/admin/members', 'members'],
      ['/admin/guests', 'guests'],
      ['/admin/groups', 'groups'],
      [`/admin/members/${id}`, 'member'],
    ] as const) {
      const res = await b.get(path)
      expect([path, res.status]).toEqual([path, 200])
      expect(res.text).toContain(`data-page="${page}" data-api="${api}"`)
      expect(res.text).toContain('<meta name="csrf-token" content="')
      expect(res.text).toContain('<script src="/assets/console-people.js" defer></script>')
      expect(res.text).not.toMatch(/<script>|<style|style="/)
    }
    expect((await b.get(`/admin/members/${id}`)).text).toContain(`data-member="${id}"`)
    expect((await b.get('/admin/members')).text).toContain(
      '<a href="/admin/members" aria-current="page">Users</a>',
    )
    expect((await b.get('/admin/guests?lang=de')).text).toContain('Nach E-Mail suchen')
  })

  it('answers a signed-out visitor with the sign-in and a member who is not an admin with 403', async () => {
    const { tenant, host } = await h.store()
    const [id] = await addPeople(gw.db, tenant, [{ email: 'zoe@example.com' }])
    for (const path of [...PAGES, `/admin/members/${id}`]) {
      const out = await h.browser(host).get(path)
      expect([path, out.status]).toEqual([path, 303])
      expect(out.headers.location).toBe(`/login?return_to=${encodeURIComponent(path)}`)
    }
    const b = await h.signedIn(tenant, host, 'ada@example.com', 'user')
    for (const path of [...PAGES, `/admin/members/${id}`]) {
      const res = await b.get(path)
      expect([path, res.status]).toEqual([path, 403])
      expect(res.text).not.toContain('csrf-token')
      expect(res.text).not.toContain('zoe@example.com')
    }
  })

  it("answers 404 for another store's member, an unknown id and a malformed one", async () => {
    const mine = await h.store()
    const theirs = await h.store()
    const [foreign] = await addPeople(gw.db, theirs.tenant, [{ email: 'eve@example.com' }])
    const b = await h.signedIn(mine.tenant, mine.host, 'boss@example.com')
    for (const id of [
      foreign,
      '00000000-0000-4000-8000-000000000000',
      'not-a-uuid',
      "1' or '1'='1",
    ]) {
      const res = await b.get(`/admin/members/${encodeURIComponent(id!)}`)
      expect([id, res.status]).toEqual([id, 404])
      expect(res.text).not.toContain('eve@example.com')
      expect(res.text).not.toContain('csrf-token')
    }
  })

  it('refuses to be framed and stays out of caches', async () => {
    const { tenant, host } = await h.store()
    const b = await h.signedIn(tenant, host, 'frame@example.com')
    const [id] = await addPeople(gw.db, tenant, [{ email: 'zoe@example.com' }])
    for (const path of [...PAGES, `/admin/members/${id}`]) {
      const res = await b.get(path)
      expect([path, res.headers['x-frame-options']]).toEqual([path, 'DENY'])
      expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'")
      expect(res.headers['content-security-policy']).not.toContain('unsafe-inline')
      expect(res.headers['cache-control']).toBe('no-store')
    }
  })

  it('serves the script and the style sheet', async () => {
    const { host } = await h.store()
    for (const asset of ['/assets/console-people.js', '/assets/console-people.css'])
      expect((await h.browser(host).get(asset)).status).toBe(200)
  })
})
