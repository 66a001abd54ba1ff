import { pbkdf2Sync, randomBytes, scryptSync } from 'node:crypto'
import bcrypt from 'bcryptjs'
import { describe, expect, it } from 'vitest'
import { proveCredential } from '../../src/identity/credentials.js'
import { findCredential } from '../../src/identity/credentials.queries.js'
import { DEFAULT_ARGON2_PARAMS } from '../../src/identity/hashing.js'
import { checkImportedHash } from '../../src/identity/imported-hashes.js'
import { useGateway } from '../support/harness.js'
import { pageHelpers } from '../support/pages.js'

// Issue 12, "how it will be checked": a user moved in with a bcrypt hash signs in with their old
// password and their stored hash is argon2id afterwards. Also PBKDF2 and scrypt (PHC form).
const gw = useGateway()
const { browser, member } = pageHelpers(gw)

const OLD_PASSWORD = 'the password from the old store 9'
const b64 = (bytes: Buffer) => bytes.toString('base64').replace(/=+$/, '')
const salt = randomBytes(16)
const HASHES = {
  bcrypt: () => bcrypt.hashSync(OLD_PASSWORD, 10).replace('$2b$', '$2y$'),
  pbkdf2: () =>
    `$pbkdf2-sha256$i=20000$${b64(salt)}$${b64(pbkdf2Sync(OLD_PASSWORD, salt, 20_000, 32, 'sha256'))}`,
  scrypt: () =>
    `$scrypt$ln=14,r=8,p=1$${b64(salt)}$${b64(scryptSync(OLD_PASSWORD, salt, 32, { N: 2 ** 14, r: 8, p: 1 }))}`,
}

const userOf = (email: string) =>
  gw.db
    .selectFrom('users')
    .select(['id', 'directory_id'])
    .where('email_key', '=', email)
    .executeTakeFirstOrThrow()
const storedHash = async (email: string) => {
  const user = await userOf(email)
  return (await findCredential(gw.db, user.directory_id, user.id))!.password_hash
}

/** The person's credential replaced by an imported hash, as the CSV import stores it. */
async function movedIn(kind: keyof typeof HASHES) {
  const email = `moved-${kind}-${randomBytes(3).toString('hex')}@example.com`
  const s = await member(email)
  const checked = checkImportedHash(HASHES[kind]())
  if (!checked.ok) throw new Error(checked.reason)
  const user = await userOf(email)
  await gw.db
    .updateTable('credentials')
    .set({ password_hash: checked.hash })
    .where('directory_id', '=', user.directory_id)
    .where('user_id', '=', user.id)
    .execute()
  return { ...s, email, imported: checked.hash }
}

describe('a person moved in with their password hash', () => {
  it.each(Object.keys(HASHES) as (keyof typeof HASHES)[])(
    'signs in with the old password on the login page (%s); the stored hash becomes our argon2id',
    async (kind) => {
      const { host, email, imported } = await movedIn(kind)

      const wrong = await browser(host).submit('/login', { email, password: `${OLD_PASSWORD}x` })
      expect(wrong.status).not.toBe(303)
      expect(await storedHash(email)).toBe(imported)

      const b = browser(host)
      const signedIn = await b.submit('/login', { email, password: OLD_PASSWORD })
      expect(signedIn.status).toBe(303)
      expect((await b.get('/')).status).toBe(200)
      const rehashed = await storedHash(email)
      const { memoryCost, timeCost, parallelism } = DEFAULT_ARGON2_PARAMS
      expect(rehashed).toMatch(
        new RegExp(`^\\$argon2id\\$v=19\\$m=${memoryCost},t=${timeCost},p=${parallelism}\\$`),
      )

      // The new hash opens with the same password; the old one is gone.
      const again = await browser(host).submit('/login', { email, password: OLD_PASSWORD })
      expect(again.status).toBe(303)
      expect(await storedHash(email)).toBe(rehashed)
    },
  )

  it('does not overwrite a password changed while the imported one was being verified', async () => {
    const { email, imported } = await movedIn('bcrypt')
    const user = await userOf(email)
    const read = (await findCredential(gw.db, user.directory_id, user.id))!
    // Meanwhile the person resets their password (another request).
    const fresh = await gw.hasher.hash('a brand new passphrase 11')
    await gw.db
      .updateTable('credentials')
      .set({ password_hash: fresh })
      .where('directory_id', '=', user.directory_id)
      .where('user_id', '=', user.id)
      .execute()
    expect(read.password_hash).toBe(imported)
    expect(await proveCredential(gw.db, read, OLD_PASSWORD, gw.hasher)).toBe(true)
    expect(await storedHash(email)).toBe(fresh)
  })
})
