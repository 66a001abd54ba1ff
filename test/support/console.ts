import supertest from 'supertest'
import { expect } from 'vitest'
import { ensurePlatformTenant } from '../../src/console/platform.js'
import type { Tenant } from '../../src/tenants/tenants.js'
import type { Gateway } from './harness.js'
import { inviteMembers } from './invite.js'
import { pageHelpers } from './pages.js'

type Method = 'get' | 'post' | 'delete' | 'patch' | 'put'

/** An admin (or any role) signed in to a store's host through the pages, and the console's API. */
export function consoleHelpers(gw: Gateway) {
  const pages = pageHelpers(gw)

  /** Invited with `role`, activated through the invitation page: a browser with a session. */
  async function signedIn(tenant: Tenant, host: string, email: string, role = 'admin') {
    await inviteMembers(
      gw.db,
      tenant,
      { invitees: [{ email }], role },
      { secretKey: gw.config.secretKey },
    )
    const token = await pages.lastLink(tenant, email, '/invite/')
    const b = pages.browser(host)
    expect((await pages.activate(b, token)).status).toBe(303)
    return b
  }

  /** The CSRF token the console page hands its script. */
  async function consoleToken(b: ReturnType<typeof pages.browser>) {
    const page = await b.get('/admin/users')
    expect(page.status).toBe(200)
    const token = /<meta name="csrf-token" content="([^"]+)">/.exec(page.text)?.[1]
    if (!token) throw new Error('no csrf-token meta tag')
    return token
  }

  /** A console request of the page's script: the session cookie, and the headers a browser adds. */
  function api(
    b: ReturnType<typeof pages.browser>,
    host: string,
    method: Method,
    path: string,
    headers: Record<string, string | undefined> = {},
  ) {
    const req = supertest(gw.app)
      [method](`/admin/api/v1${path}`)
      .set('Host', host)
      .set('Cookie', b.cookies.header(host))
      .set('Accept', 'application/json')
    for (const [name, value] of Object.entries(headers))
      if (value !== undefined) req.set(name, value)
    return req
  }

  /** A store with an admin signed in, and its console's CSRF token. */
  async function adminConsole(email = 'admin@example.com') {
    const s = await pages.store()
    const b = await signedIn(s.tenant, s.host, email)
    const csrf = await consoleToken(b)
    const call = (method: Method, path: string, headers: Record<string, string | undefined> = {}) =>
      api(b, s.host, method, path, {
        'X-CSRF-Token': csrf,
        Origin: `http://${s.host}:3000`,
        'Sec-Fetch-Site': 'same-origin',
        ...headers,
      })
    return { ...s, b, csrf, call }
  }

  const platform = () => ensurePlatformTenant(gw.db, gw.config)

  return { ...pages, signedIn, consoleToken, api, adminConsole, platform }
}
