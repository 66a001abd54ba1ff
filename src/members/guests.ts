import * as z from 'zod'
import type { Db, Tx } from '../db/database.js'
import { AppError } from '../errors.js'
import type { Tenant } from '../tenants/tenants.js'
import { getApp, listApps } from '../tokens/apps.js'
import * as q from './guests.queries.js'
import { searchMembers } from './search.js'

// Seed 002: guests in rows, the tenant's apps in columns, a mark where access is granted. A
// grant is the app's product on the guest's membership (an app without one: its client id), so
// the guest's next token carries it and the provider admits the guest to that app only.

const productOf = (app: { product: string | null; clientId: string }) => app.product ?? app.clientId

export async function guestGrid(db: Db, tenant: Tenant, query: Record<string, unknown>) {
  const apps = (await listApps(db, tenant.id)).filter((a) => a.type !== 'machine')
  const page = await searchMembers(db, tenant.id, { sort: 'email', ...query, kind: 'guest' })
  return {
    apps: apps.map((a) => ({ clientId: a.clientId, name: a.name, product: productOf(a) })),
    guests: page.rows.map((g) => ({
      id: g.id,
      email: g.email,
      name: [g.first_name, g.last_name].filter(Boolean).join(' ') || g.email,
      status: g.status,
      groups: g.groups,
      createdAt: g.created_at.toISOString(),
      apps: apps.filter((a) => g.products.includes(productOf(a))).map((a) => a.clientId),
    })),
    total: page.total,
    totalIsEstimate: page.totalIsEstimate,
    nextCursor: page.nextCursor,
  }
}

/**
 * Grants or revokes one app. Revoking also ends the person's grants and tokens of that app at
 * once; the provider refuses a new sign-in or refresh there (tokens/accounts.ts mayUseApp).
 */
export async function setAppGrant(
  tx: Tx,
  tenant: Tenant,
  input: { id: string; clientId: string; granted: boolean },
) {
  const membership = z.uuid().safeParse(input.id).success
    ? await q.lockMembershipProducts(tx, tenant.id, input.id)
    : undefined
  if (!membership) throw new AppError('not_found', 'There is no such member in this store.')
  const app = await getApp(tx, tenant.id, input.clientId)
  if (app.type === 'machine')
    throw new AppError('invalid_request', 'A machine app signs nobody in: nothing to grant.')
  const product = productOf(app)
  const products = input.granted
    ? [...new Set([...membership.products, product])]
    : membership.products.filter((p) => p !== product)
  await q.setProducts(tx, tenant.id, membership.id, products)
  if (!input.granted && membership.kind === 'guest')
    await q.endAppAccess(tx, tenant.id, membership.user_id, app.clientId)
  return { id: membership.id, clientId: app.clientId, product, granted: input.granted, products }
}
