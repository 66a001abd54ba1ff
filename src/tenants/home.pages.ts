import { page } from '../http/layout.js'
import { type Html, html } from '../lib/html.js'
import type { Tenant } from './tenants.js'

export function homePage(tenant: Pick<Tenant, 'name'>): Html {
  return page({
    title: 'Welcome',
    tenantName: tenant.name,
    body: html`<h1>${tenant.name}</h1><p class="message">Sign in to reach the apps of this store.</p>`,
  })
}
