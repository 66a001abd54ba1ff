import { describe, expect, it } from 'vitest'
import { useGateway } from '../support/harness.js'
import { countStatements } from '../support/statement-count.js'
import { cookieOf, PASSWORD, pageHelpers } from '../support/pages.js'

// Issue 13 (bench/login.ts): each PostgreSQL round trip of a login wakes PostgreSQL and costs the
// gateway's main thread a system call, on every login. A password login, whatever its outcome,
// sends three statements: the tenant (its cache is off in tests: tenantCacheTtlMs 0), one that
// reads the throttle's counts with the account and the Terms owed, one that writes the session
// and the audit event (or the failure's counts); a browser that holds a session has it read
// first (loadSession), and its end rides on the write. A success sent six before (the Terms
// unowed). A wrong password and an unknown address send the same statements, so their round
// trips tell nothing apart (a wrong password of a known address sent one more).
const MAX_STATEMENTS = 3

const gw = useGateway()
const { browser, member } = pageHelpers(gw)

const statementsOf = countStatements(gw)

describe('a password login', () => {
  it(`sends at most ${MAX_STATEMENTS} statements when it succeeds, replacing the previous session`, async () => {
    const { host } = await member('ada@example.com')
    const b = browser(host)
    const fields = { email: 'ada@example.com', password: PASSWORD }
    const token = await b.csrf('/login')
    const first = await statementsOf(() => b.post('/login', { _csrf: token, ...fields }))
    // The browser now holds a session: the second login ends it in its own write.
    let res: Awaited<ReturnType<typeof b.post>> | undefined
    const again = await statementsOf(async () => {
      res = await b.post('/login', { _csrf: token, ...fields })
    })

    expect(res?.status).toBe(303)
    expect(cookieOf(res!, 'gw_session')).toMatch(/^gw_session=[^;]+/)
    expect(first.length, first.join('\n')).toBeLessThanOrEqual(MAX_STATEMENTS)
    expect(again.length, again.join('\n')).toBeLessThanOrEqual(MAX_STATEMENTS + 1)
  })

  it('sends the same statements for a wrong password and an unknown address', async () => {
    const { host } = await member('bob@example.com')
    const b = browser(host)
    const token = await b.csrf('/login')
    const wrong = await statementsOf(() =>
      b.post('/login', { _csrf: token, email: 'bob@example.com', password: 'not it at all 1' }),
    )
    const unknown = await statementsOf(() =>
      b.post('/login', { _csrf: token, email: 'nobody@example.com', password: 'not it at all 1' }),
    )

    expect(wrong.length, wrong.join('\n')).toBeLessThanOrEqual(MAX_STATEMENTS)
    expect(unknown).toEqual(wrong)
  })
})
