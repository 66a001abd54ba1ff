import supertest from 'supertest'
import { expect } from 'vitest'
import { inviteMembers } from './invite.js'
import { open } from '../../src/lib/seal.js'
import { getTenant, type Tenant, updateSettings } from '../../src/tenants/tenants.js'
import { cookieJar, formToken } from './cookies.js'
import type { Gateway } from './harness.js'

export const PASSWORD = 'violet anchor harbor 93'
export const DAY = 86_400_000

export type Fields = Record<string, string>
export { formToken }

export const cookieOf = (res: supertest.Response, name: string) =>
  ([] as string[]).concat(res.headers['set-cookie'] ?? []).find((c) => c.startsWith(`${name}=`))

/** What a person does with the pages, through supertest: open a form, fill it in, send it. */
export function pageHelpers(gw: Gateway) {
  /** A person's browser on `host`, in this process: the cookie jar of oidc.ts's httpBrowser. */
  function browser(host: string, app = gw.app) {
    const cookies = cookieJar()
    const send = (req: supertest.Test) => {
      // Where supertest's own agent puts its jar's cookies: a test's .set('Cookie') merges in.
      Object.assign(req, { cookies: cookies.header(host) })
      return req
        .set('Host', host)
        .set('Accept', 'text/html')
        .on('response', (res: supertest.Response) =>
          cookies.keep(host, ([] as string[]).concat(res.headers['set-cookie'] ?? [])),
        )
    }
    const get = (path: string) => send(supertest(app).get(path))
    const post = (path: string, fields: Fields) =>
      send(supertest(app).post(path)).type('form').send(fields)
    const csrf = async (path: string) => {
      const token = formToken((await get(path)).text)
      if (!token) throw new Error(`no CSRF field on ${path}`)
      return token
    }
    const submit = async (path: string, fields: Fields, formPath = path) =>
      post(path, { _csrf: await csrf(formPath), ...fields })
    return { get, post, csrf, submit, cookies }
  }

  async function store(
    patch?: Record<string, unknown>,
    name?: string,
    shareDirectoryWith?: string,
  ) {
    const created = await gw.createTenant({ ...(name ? { name } : {}), shareDirectoryWith })
    if (patch) await updateSettings(gw.db, created, patch, gw.config.passwordPolicies)
    const tenant = await getTenant(gw.db, created.slug, gw.config)
    return { tenant, host: `${tenant.slug}.localhost` }
  }

  /** The token of the newest mail to `to`, read the way the worker does: opening the sealed link. */
  async function lastLink(tenant: Tenant, to: string, marker: string): Promise<string> {
    const row = await gw.db
      .selectFrom('outbox')
      .select('secret')
      .where('tenant_id', '=', tenant.id)
      .where('to_address', '=', to)
      .orderBy('created_at', 'desc')
      .executeTakeFirstOrThrow()
    const { link } = JSON.parse(open(gw.config.secretKey, 'outbox', row.secret as Uint8Array))
    return (link as string).slice((link as string).indexOf(marker) + marker.length)
  }

  async function invite(tenant: Tenant, email: string, person: Fields = {}, now?: Date) {
    const ctx = { secretKey: gw.config.secretKey, ...(now ? { now } : {}) }
    const [result] = await inviteMembers(gw.db, tenant, { invitees: [{ email, ...person }] }, ctx)
    if (result?.status !== 'invited' && result?.status !== 'reinvited')
      throw new Error('not invited')
    return { token: await lastLink(tenant, email, '/invite/'), id: result.invitationId }
  }

  const activate = (b: ReturnType<typeof browser>, token: string, password = PASSWORD) =>
    b.submit(`/invite/${token}`, { password, password_confirm: password })

  async function member(email = 'ada@example.com', patch?: Record<string, unknown>) {
    const s = await store(patch)
    const { token } = await invite(s.tenant, email)
    expect((await activate(browser(s.host), token)).status).toBe(303)
    return s
  }

  return { browser, store, lastLink, invite, activate, member }
}
