import { describe, expect, it } from 'vitest'
import { main } from '../../src/cli/main.js'
import { createDb, type Db } from '../../src/db/database.js'
import { createTenant } from '../../src/tenants/tenants.js'
import { checkSecretKey, startKeys } from '../../src/tokens/keys.js'
import { migratedDataDir, useTestDb } from '../support/database.js'
import { randomSlug, testConfig } from '../support/harness.js'
import { freePort } from '../support/process.js'

const SEALED_WITH = 'the-key-the-signing-keys-were-sealed-with-0001'
const ANOTHER_KEY = 'a-different-secret-key-than-the-one-used-0002'
const REASON = 'SECRET_KEY does not open the signing keys stored in the database'

/** A tenant with signing keys sealed with `secretKey`. */
async function tenantWithKeys(db: Db, secretKey: string) {
  const config = testConfig()
  await db.transaction().execute(async (tx) => {
    const slug = randomSlug()
    const tenant = await createTenant(
      tx,
      { slug, name: slug, hosts: [], settings: config.tenantDefaults },
      config,
    )
    await startKeys(tx, tenant, secretKey)
  })
}

// OWASP ASVS 5.0 V13 (configuration): a process that cannot sign must not report ready.
describe('a start with the wrong SECRET_KEY', () => {
  // Own database: the check reads the newest key of any tenant.
  const test = useTestDb({ database: 'own' })

  it('is told apart from the right one by opening a stored key', async () => {
    await tenantWithKeys(test.db, SEALED_WITH)
    expect(await checkSecretKey(test.db, SEALED_WITH)).toEqual({ ok: true })
    const wrong = await checkSecretKey(test.db, ANOTHER_KEY)
    expect(wrong).toMatchObject({ ok: false, reason: expect.stringContaining(REASON) })
  })

  // bin/gateway.js is `process.exitCode = await main(argv)`: main's answer is the process's.
  // In-process, so a loaded machine's slow node start plays no part.
  it('makes `gateway serve` exit non-zero with the reason in one line', async () => {
    const dataDir = await migratedDataDir()
    const opened = createDb(undefined, dataDir)
    await tenantWithKeys(opened.db, SEALED_WITH).finally(opened.close)
    const out: string[] = []
    const err: string[] = []
    const io = { out: (l: string) => out.push(l), err: (l: string) => err.push(l) }
    const env = {
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      DATA_DIR: dataDir,
      SECRET_KEY: ANOTHER_KEY,
      PORT: String(await freePort()),
    }
    expect(await main(['serve'], io, env)).toBe(1)
    expect(err).toEqual([`gateway: ${REASON}: start with the key they were sealed with`])
    expect(out).toEqual([])
  })
})
