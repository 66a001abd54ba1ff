import { describe, expect, it } from 'vitest'
import { type Io, runCommand } from '../../src/cli/main.js'
import { useTestDb } from '../support/database.js'
import { randomSlug, testConfig } from '../support/harness.js'

// A rotation with another SECRET_KEY would seal the new key with it: the keys of one tenant
// could then be opened by no single process (OWASP ASVS 5.0 V13, configuration).
describe('gateway keys rotate with the wrong SECRET_KEY', () => {
  // Own database: the check reads the newest key of any tenant, and other files seal theirs with the test key.
  const database = useTestDb({ database: 'own' })

  async function run(secretKey: string, ...argv: string[]) {
    const err: string[] = []
    const io: Io = { out: () => {}, err: (l) => err.push(l) }
    const config = testConfig({ SECRET_KEY: secretKey })
    const code = await runCommand(argv, { config, db: database.db, io })
    return { code, err: err.join('\n') }
  }

  it('refuses, with the reason, and adds no key', async () => {
    const right = 'the-right-secret-key-for-these-keys-000001'
    const slug = randomSlug()
    expect((await run(right, 'tenant', 'create', '--slug', slug, '--name', 'S')).code).toBe(0)
    expect((await run(right, 'keys', 'rotate', '--tenant', slug)).code).toBe(0)
    const keys = () => database.db.selectFrom('signing_keys').select('kid').execute()
    const before = (await keys()).length

    const wrong = await run(
      'another-secret-key-entirely-different-02',
      'keys',
      'rotate',
      '--tenant',
      slug,
    )
    expect(wrong.code).toBe(1)
    expect(wrong.err).toBe(
      'gateway: SECRET_KEY does not open the signing keys stored in the database: start with the key they were sealed with',
    )
    expect((await keys()).length).toBe(before)
  })
})
