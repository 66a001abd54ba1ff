import { describe, expect, it } from 'vitest'
import { tenantWithKey as tenantWithApiKey } from '../support/admin-api.js'
import { EMAIL_PROBLEMS, normalizeEmail, parseEmailList } from '../../src/identity/addresses.js'
import { isMailAddress } from '../../src/mail/smtp.js'
import type { Tenant } from '../../src/tenants/tenants.js'
import { useGateway } from '../support/harness.js'

// Issue 9: `müller@…` passed the parser, then the outbox refused it with a 400 for the whole
// batch, after earlier invitees were mailed and before later ones were processed.
const gw = useGateway()

async function tenantWithKey() {
  const { tenant, api } = await tenantWithApiKey(gw)
  return { tenant, invite: (body: object) => api('post', '/invitations').send(body) }
}

const mailedTo = async (tenant: Tenant) =>
  (
    await gw.db
      .selectFrom('outbox')
      .select('to_address')
      .where('tenant_id', '=', tenant.id)
      .orderBy('to_address')
      .execute()
  ).map((r) => r.to_address)

describe('one definition of an address for the parser and the mailer (RFC 5321 4.1.2)', () => {
  const samples = [
    'ada@example.com',
    'Ada.Lovelace+news@Example.COM',
    "o'brien!#$%&*=?^_`{|}~-@mail.example.org",
    'a@bücher.de',
    'ＡＤＡ@example.com',
    'müller@example.com',
    'jürgen@bücher.de',
    '用户@例子.广告',
    'ﬁle@example.com',
  ]

  it.each(samples)('the mailer sends to whatever the parser accepts: %j', (input) => {
    const parsed = normalizeEmail(input)
    if (parsed.ok) expect(isMailAddress(parsed.email)).toBe(true)
    else expect(parsed.reason).toBe('unsupported_local_part')
    const listed = parseEmailList(input)
    for (const e of listed.emails) expect(isMailAddress(e.email)).toBe(true)
  })

  it('folds full-width forms to the address the person meant', () => {
    expect(normalizeEmail('ＡＤＡ@example.com')).toEqual({
      ok: true,
      email: 'ADA@example.com',
      key: 'ada@example.com',
    })
  })
})

describe('a batch answers per invitee', () => {
  it('refuses a UTF-8 local part with a reason and invites everyone else (pasted list)', async () => {
    const { tenant, invite } = await tenantWithKey()
    const res = await invite({ emails: 'ann@example.com\nmüller@example.com\nbea@example.com' })
    expect(res.status).toBe(200)
    expect(res.body.counts).toMatchObject({ invited: 2, invalid: 1 })
    expect(res.body.results).toContainEqual({
      email: 'müller@example.com',
      status: 'invalid',
      reason: EMAIL_PROBLEMS.unsupported_local_part,
      line: 2,
    })
    expect(await mailedTo(tenant)).toEqual(['ann@example.com', 'bea@example.com'])
  })

  it('does the same for a list of invitees', async () => {
    const { tenant, invite } = await tenantWithKey()
    const res = await invite({
      invitees: [
        { email: 'cy@example.com' },
        { email: 'jürgen@bücher.de' },
        { email: 'ＤＡＮ@example.com' },
      ],
    })
    expect(res.status).toBe(200)
    expect(res.body.results.map((r: { status: string }) => r.status).sort()).toEqual([
      'invalid',
      'invited',
      'invited',
    ])
    expect(await mailedTo(tenant)).toEqual(['DAN@example.com', 'cy@example.com'])
  })
})

// Issue 11: a spreadsheet paste is answered cell by cell, and its names reach the invitation.
describe('rows pasted from a spreadsheet through the admin API', () => {
  it('invites First, Last, email rows with their names and names the wrong cell of the others', async () => {
    const { invite } = await tenantWithKey()
    const res = await invite({
      emails:
        'First name\tLast name\tEmail\nAda\tLovelace\tada@example.com\nGrace\tHopper\tgrace@example',
    })
    expect(res.status).toBe(200)
    expect(res.body.results).toEqual([
      {
        email: 'grace@example',
        status: 'invalid',
        reason: EMAIL_PROBLEMS.invalid_domain,
        line: 3,
        column: 3,
      },
      expect.objectContaining({ email: 'ada@example.com', status: 'invited' }),
    ])
  })
})
