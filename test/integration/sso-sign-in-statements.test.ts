import { readFile } from 'node:fs/promises'
import { PGlite } from '@electric-sql/pglite'
import { Kysely, PostgresDialect } from 'kysely'
import { PGliteDialect } from 'kysely-pglite-dialect'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { type Db, PGLITE_EXTENSIONS } from '../../src/db/database.js'
import type { Database } from '../../src/db/schema.js'
import { separateApp, useGateway } from '../support/harness.js'
import { createIdp } from '../support/saml-idp.js'
import { samlHelpers } from '../support/saml-sign-in.js'

// Issue 10 (bench/sso.ts): every PostgreSQL round trip of a sign-in is paid by each of them, and
// on a busy gateway the round trips are what the sign-in rate loses most to after node-saml. A
// repeat SAML sign-in (a known person, an active member, nothing to change) sends at most this
// many statements over its two requests (ACS POST, continue GET), BEGIN and COMMIT included:
// per request the tenant and the directory (caches off in tests: tenantCacheTtlMs 0), then the
// ACS's one statement (request spent, assertion recorded, ticket kept), and at continue the
// ticket spent, the member read (with the Terms owed), the audit event (issue 11) and the
// session written. It was 17.
const MAX_STATEMENTS = 9

const gw = useGateway()
const idp = createIdp()
const { samlStore, startSignIn } = samlHelpers(gw, idp)

// The app under count runs on a Kysely that logs every statement it sends, on the database the
// rest of the file uses: the same server database, or (PGlite, one connection per instance) a
// database of the file's own loaded from the migrated dump.
let statements: string[] | undefined
let counted: Db
beforeAll(async () => {
  const log = (event: { level: string; query: { sql: string } }) => {
    if (event.level === 'query') statements?.push(event.query.sql)
  }
  const dump = inject('pgliteDump')
  const dialect = gw.url
    ? new PostgresDialect({ pool: new pg.Pool({ connectionString: gw.url, max: 4 }) })
    : new PGliteDialect(
        await PGlite.create({
          loadDataDir: new Blob([await readFile(dump)]),
          extensions: PGLITE_EXTENSIONS,
        }),
      )
  counted = new Kysely<Database>({ dialect, log })
  Object.assign(gw, { db: counted, app: separateApp(gw, { db: counted }) })
})
afterAll(() => counted?.destroy())

/** The statements `action` sends, in order. */
async function statementsOf(action: () => Promise<unknown>): Promise<string[]> {
  statements = []
  try {
    await action()
    return statements
  } finally {
    statements = undefined
  }
}

describe('a repeat SAML sign-in', () => {
  it(`sends at most ${MAX_STATEMENTS} statements to the database`, async () => {
    const s = await samlStore()
    const first = await startSignIn(s)
    expect((await first.finish(idp.response(first.reply))).status).toBe(303)

    const again = await startSignIn(s)
    const SAMLResponse = idp.response(again.reply)
    let status = 0
    let cookies: string[] = []
    const sent = await statementsOf(async () => {
      const res = await again.finish(SAMLResponse)
      status = res.status
      cookies = ([] as string[]).concat(res.headers['set-cookie'] ?? [])
    })

    expect(status).toBe(303)
    expect(cookies.some((c) => /^gw_session=[^;]+/.test(c))).toBe(true)
    expect(sent.length, sent.join('\n')).toBeLessThanOrEqual(MAX_STATEMENTS)
  })
})
