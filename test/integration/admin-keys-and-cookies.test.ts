import supertest from 'supertest'
import { describe, expect, it } from 'vitest'
import { createApiKey, revokeApiKey } from '../../src/admin/api-keys.js'
import { runCli } from '../support/cli.js'
import { listDirectories } from '../../src/tenants/tenants.js'
import { randomSlug, useGateway } from '../support/harness.js'
import { cookieOf, formToken, PASSWORD, pageHelpers } from '../support/pages.js'

// OWASP ASVS V7 (cookies) and V8 (keys): what changes when a tenant is served over https, and
// what a revoked key can still do.
describe('on an https public URL', () => {
  const gw = useGateway({ PUBLIC_URL_TEMPLATE: 'https://{host}' })
  const { store, invite, browser } = pageHelpers(gw)

  // The test browser's jar keeps Secure cookies on plain http (a real one would not), so the
  // forms work here; what is asserted is how the gateway sets them.
  async function submit(host: string, path: string, fields: Record<string, string>) {
    const b = browser(host)
    const form = await b.get(path)
    const csrf = cookieOf(form, '__Host-csrf') ?? ''
    return { csrf, res: await b.post(path, { _csrf: formToken(form.text) ?? '', ...fields }) }
  }

  it('marks the session and CSRF cookies Secure, with the __Host- prefix', async () => {
    const { tenant, host } = await store()
    const { token } = await invite(tenant, 'sec@example.com')
    const activation = await submit(host, `/invite/${token}`, {
      password: PASSWORD,
      password_confirm: PASSWORD,
    })
    expect(activation.csrf).toMatch(/; Secure/i)
    expect(activation.res.status).toBe(303)
    const { res } = await submit(host, '/login', { email: 'sec@example.com', password: PASSWORD })
    expect(res.status).toBe(303)
    const session = cookieOf(res, '__Host-gw_session') ?? ''
    expect(session).toMatch(/; Secure/i)
    expect(session).toMatch(/; HttpOnly/i)
    expect(session).toMatch(/; SameSite=Lax/i)
  })
})

describe('admin API keys', () => {
  const gw = useGateway()

  it('stops working the moment it is revoked', async () => {
    const tenant = await gw.createTenant()
    const { id, key } = await createApiKey(gw.db, { tenantId: tenant.id, name: 'short-lived' })
    const get = () =>
      supertest(gw.app)
        .get(`/admin/api/v1/tenants/${tenant.slug}`)
        .set('Authorization', `Bearer ${key}`)
    expect((await get()).status).toBe(200)
    await revokeApiKey(gw.db, id)
    expect((await get()).status).toBe(401)
  })

  it('stores only a hash of the key', async () => {
    const tenant = await gw.createTenant()
    const { key } = await createApiKey(gw.db, { tenantId: tenant.id, name: 'hashed' })
    const rows = await gw.db
      .selectFrom('api_keys')
      .selectAll()
      .where('tenant_id', '=', tenant.id)
      .execute()
    expect(JSON.stringify(rows)).not.toContain(key.slice(4))
  })

  it('creates keys and tenants sharing a directory from the CLI', async () => {
    const run = async (...argv: string[]) => (await runCli(gw, ...argv)).code
    const first = randomSlug()
    const second = randomSlug()
    expect(await run('tenant', 'create', '--slug', first, '--name', 'Store 1')).toBe(0)
    expect(
      await run(
        'tenant',
        'create',
        '--slug',
        second,
        '--name',
        'Store 2',
        '--share-directory-with',
        first,
      ),
    ).toBe(0)
    const [a, b] = await Promise.all(
      [first, second].map(async (slug) => {
        const tenant = await gw.db
          .selectFrom('tenants')
          .select('id')
          .where('slug', '=', slug)
          .executeTakeFirstOrThrow()
        return listDirectories(gw.db, tenant.id)
      }),
    )
    expect(b).toEqual(a)
    const key = await runCli(gw, 'api-key', 'create', '--tenant', first, '--name', 'console')
    expect(key.code).toBe(0)
    expect(key.out.split('\n').at(-1)).toMatch(/^gwk_[A-Za-z0-9_-]{43}$/)
    expect(await run('api-key', 'create', '--name', 'both', '--tenant', first, '--platform')).toBe(
      2,
    )
    expect(
      await run(
        'tenant',
        'create',
        '--slug',
        randomSlug(),
        '--name',
        'X',
        '--share-directory-with',
        'nope-nope',
      ),
    ).toBe(1)
  })
})
