import type { Db } from '../../src/db/database.js'
import { createGroup, createOrganization, createRole } from '../../src/members/catalogues.js'
import { createApp } from '../../src/tokens/apps.js'

/**
 * Declares what an invitation or a member edit may name (issue 11: invitations pick from the
 * tenant's catalogues): roles, groups, organizations, and products (an app declaring each).
 */
export async function declareCatalogue(
  db: Db,
  tenantId: string,
  entries: {
    roles?: string[]
    groups?: string[]
    organizations?: { name: string; kind: 'seller' | 'customer' }[]
    products?: string[]
  },
) {
  await db.transaction().execute(async (tx) => {
    for (const name of entries.roles ?? []) await createRole(tx, tenantId, { name })
    for (const name of entries.groups ?? []) await createGroup(tx, tenantId, { name })
    for (const org of entries.organizations ?? []) await createOrganization(tx, tenantId, org)
  })
  for (const product of entries.products ?? [])
    await createApp(db, tenantId, {
      name: `App of ${product}`,
      type: 'web',
      redirectUris: ['https://app.example/callback'],
      product,
    })
}
