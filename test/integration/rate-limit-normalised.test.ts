import { describe, expect, it } from 'vitest'
import { useGateway } from '../support/harness.js'
import { pageHelpers } from '../support/pages.js'

// Issue 9: a limit counts the identity the lookup finds, not the spelling that was typed.
const gw = useGateway()
const { member, browser } = pageHelpers(gw)

// Each of these is the same account once NFKC-normalised and lowercased (addresses.ts).
const SPELLINGS = [
  'flood@example.com',
  'FLOOD@example.com',
  'ｆlood@example.com',
  'fｌood@example.com',
  'flｏod@example.com',
  'floｏd@example.com',
  'ＦＬＯＯＤ@example.com',
]

describe('forgot-password limits (OWASP ASVS 5.0 V6.3.1)', () => {
  it('count every spelling of one address against the same five mails an hour', async () => {
    const { tenant, host } = await member('flood@example.com')
    const statuses = []
    for (const email of SPELLINGS)
      statuses.push((await browser(host).submit('/forgot-password', { email })).status)
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429])
    const mails = await gw.db
      .selectFrom('outbox')
      .select('id')
      .where('tenant_id', '=', tenant.id)
      .where('template', '=', 'password_reset')
      .execute()
    expect(mails).toHaveLength(5)
  })
})
