import { expect } from 'vitest'
import type { Tenant } from '../../src/tenants/tenants.js'
import { consoleHelpers } from '../support/console.js'
import type { Gateway } from '../support/harness.js'

export type Fields = Record<string, string>

/** What the access-request tests do: stores, admins, requests through the page, the outbox. */
export function accessRequestHelpers(gw: Gateway) {
  const c = consoleHelpers(gw)

  /** A store with `admins` admins signed in (their browsers), and its host. */
  async function storeWithAdmins(admins = ['admin@example.com']) {
    const s = await c.store()
    const browsers = []
    for (const email of admins) browsers.push(await c.signedIn(s.tenant, s.host, email))
    return { ...s, browsers }
  }

  /** The form, filled in and posted from a fresh browser (from `ip` when the proxy is trusted). */
  async function requestAccess(host: string, fields: Fields, ip?: string) {
    const b = c.browser(host)
    const csrf = await b.csrf('/request-access')
    const req = b.post('/request-access', { _csrf: csrf, ...fields })
    return ip ? req.set('X-Forwarded-For', ip) : req
  }

  const ask = (email: string, name = 'Grace Hopper', message = 'I run the Paris shop.') => ({
    email,
    name,
    message,
  })

  /** Queued mail of this tenant with this template (to `to` when given). */
  async function outbox(tenant: Tenant, template: string, to?: string) {
    let q = gw.db
      .selectFrom('outbox')
      .select(['to_address', 'template', 'data', 'locale'])
      .where('tenant_id', '=', tenant.id)
      .where('template', '=', template)
    if (to) q = q.where('to_address', '=', to)
    return q.orderBy('created_at').execute()
  }

  async function requests(tenant: Tenant) {
    return gw.db
      .selectFrom('access_requests')
      .selectAll()
      .where('tenant_id', '=', tenant.id)
      .orderBy('created_at')
      .execute()
  }

  async function auditActions(tenant: Tenant) {
    const rows = await gw.db
      .selectFrom('audit_events')
      .select(['action', 'actor_kind', 'subject_id'])
      .where('tenant_id', '=', tenant.id)
      .where('action', 'like', 'access_request.%')
      .orderBy('at')
      .orderBy('id')
      .execute()
    return rows
  }

  /** The visible answer of a page, without the CSRF-bearing parts that differ per browser. */
  const answerOf = (text: string) => {
    expect(text).not.toContain('name="_csrf"')
    return text
  }

  return { ...c, storeWithAdmins, requestAccess, ask, outbox, requests, auditActions, answerOf }
}
