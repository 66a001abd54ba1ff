import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { cachedEnterpriseDirectories } from '../../src/sso/directories.js'
import { updateDirectoryRow } from '../../src/sso/directories.queries.js'
import { addDirectory } from '../support/enterprise.js'
import { useGateway } from '../support/harness.js'
import { pageHelpers } from '../support/pages.js'

// The SAML routes read their directory through a per-process cache with the tenant cache's
// freshness rule (src/http/tenant.ts): kept for the TTL the gateway is given (1 s; 0 in tests),
// never for an unknown id. The TTL is injected: no clock is waited on here.
const gw = useGateway()
const { store } = pageHelpers(gw)
const HOUR = 3_600_000

describe('the sign-in routes’ directory cache', () => {
  it('keeps a found directory for its TTL, and with a TTL of 0 reads every time', async () => {
    const { tenant: created } = await store()
    const { tenant, directory } = await addDirectory(gw, created, { name: 'Before' })
    const kept = cachedEnterpriseDirectories(gw.db, HOUR)
    const fresh = cachedEnterpriseDirectories(gw.db, 0)
    expect((await kept(tenant.id, directory.id))?.name).toBe('Before')
    expect((await fresh(tenant.id, directory.id))?.name).toBe('Before')
    await updateDirectoryRow(gw.db, tenant.id, directory.id, { name: 'After' }, new Date())
    expect((await kept(tenant.id, directory.id))?.name).toBe('Before')
    expect((await fresh(tenant.id, directory.id))?.name).toBe('After')
  })

  it('never keeps an unknown directory, nor another tenant’s', async () => {
    const { tenant: a } = await store()
    const { tenant: b } = await store()
    const kept = cachedEnterpriseDirectories(gw.db, HOUR)
    expect(await kept(a.id, randomUUID())).toBeUndefined()
    const { directory } = await addDirectory(gw, a)
    expect(await kept(b.id, directory.id)).toBeUndefined()
    expect((await kept(a.id, directory.id))?.id).toBe(directory.id)
    expect(await kept(b.id, directory.id)).toBeUndefined()
  })
})
