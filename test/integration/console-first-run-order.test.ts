import { describe, expect, it } from 'vitest'
import { ensurePlatformTenant } from '../../src/console/platform.js'
import { firstRun } from '../../src/console/first-run.js'
import { useGateway } from '../support/harness.js'

// `gateway admin create` on an empty database makes the platform tenant before any `npm start`:
// the first start must still seed the demo store (the platform tenant is not a store).
const gw = useGateway({}, { database: 'own' })

describe('the first run after `gateway admin create`', () => {
  it('still seeds the demo store and hands out its admin link', async () => {
    const platform = await ensurePlatformTenant(gw.db, gw.config)
    expect(platform.created).toBe(true)
    const first = await firstRun(gw.db, gw.config)
    expect(first.demo?.tenant.slug).toBe('demo')
    expect(first.demo?.key).toMatch(/^gwk_/)
    expect(first.platform?.created).toBe(false)
  })
})
