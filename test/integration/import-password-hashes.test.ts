import bcrypt from 'bcryptjs'
import { describe, expect, it } from 'vitest'
import { findCredential } from '../../src/identity/credentials.queries.js'
import { runImports } from '../../src/imports/run.js'
import { tenantWithKey } from '../support/admin-api.js'
import { memoryLog, useGateway } from '../support/harness.js'
import { pageHelpers } from '../support/pages.js'

// Issue 12, "how it will be checked", end to end: a CSV file moves a person in with the bcrypt
// hash of their old system; they sign in on the login page with their old password at once (no
// invitation), and their stored hash is our argon2id afterwards. An unknown format is a refused
// row, never a stored string nothing can verify.
// Own database: the import job takes any tenant's import.
const gw = useGateway({}, { database: 'own' })
const { browser } = pageHelpers(gw)
const OLD_PASSWORD = 'my password at the old store 4'

describe('a CSV import with password hashes', () => {
  it('moves a bcrypt user in; their first sign-in re-hashes it with argon2id', async () => {
    const { tenant, api } = await tenantWithKey(gw)
    const hash = bcrypt.hashSync(OLD_PASSWORD, 10).replace('$2b$', '$2y$')
    const csv = [
      'email,firstName,passwordHash',
      `moved@example.com,Mo,${hash}`,
      'plain@example.com,Pia,{SSHA}c2FsdHNhbHQ=',
    ].join('\n')
    const accepted = await api('post', '/imports').set('Content-Type', 'text/csv').send(csv)
    expect(accepted.status).toBe(202)
    await runImports(gw.db, {
      secretKey: gw.config.secretKey,
      urls: gw.config,
      log: memoryLog().log,
    })
    const view = (await api('get', `/imports/${accepted.body.id}`).expect(200)).body
    expect(view).toMatchObject({ state: 'done', counts: { created: 1, invalid: 1 } })
    const report = (await api('get', `/imports/${accepted.body.id}/report`).expect(200)).text
    expect(report).toMatch(/3,plain@example\.com,invalid,[^\r\n]*(format|hash)/i)

    const user = await gw.db
      .selectFrom('users')
      .select(['id', 'directory_id'])
      .where('email_key', '=', 'moved@example.com')
      .executeTakeFirstOrThrow()
    const stored = async () =>
      (await findCredential(gw.db, user.directory_id, user.id))!.password_hash
    expect(await stored()).toBe(hash)
    expect(
      await gw.db
        .selectFrom('users')
        .select('id')
        .where('email_key', '=', 'plain@example.com')
        .execute(),
    ).toEqual([])

    const host = `${tenant.slug}.localhost`
    const wrong = await browser(host).submit('/login', {
      email: 'moved@example.com',
      password: 'nope nope nope 1',
    })
    expect(wrong.status).not.toBe(303)
    const b = browser(host)
    const signedIn = await b.submit('/login', {
      email: 'moved@example.com',
      password: OLD_PASSWORD,
    })
    expect(signedIn.status).toBe(303)
    expect(await stored()).toMatch(/^\$argon2id\$v=19\$/)
    // The new hash opens with the same password.
    const again = await browser(host).submit('/login', {
      email: 'moved@example.com',
      password: OLD_PASSWORD,
    })
    expect(again.status).toBe(303)
  })
})
