// TODO(#12): stand-in until src/identity/imported-hashes.ts lands (the hashes helper's file, same
// signature); the lead swaps the import in src/imports/row.ts. It accepts argon2 and bcrypt only.

const B64 = '[A-Za-z0-9+/]'
const ARGON2 = new RegExp(
  `^\\$argon2(id|i)\\$v=19\\$m=(\\d{1,7}),t=(\\d{1,3}),p=(\\d{1,3})\\$${B64}{11,}\\$${B64}{16,}$`,
)
const BCRYPT = /^\$2[aby]\$(\d{2})\$[./A-Za-z0-9]{53}$/

export function checkImportedHash(
  encoded: string,
): { ok: true; hash: string } | { ok: false; reason: string } {
  const value = encoded.trim()
  const bcrypt = BCRYPT.exec(value)
  if (bcrypt) {
    const cost = Number(bcrypt[1])
    if (cost >= 4 && cost <= 31) return { ok: true, hash: value }
    return { ok: false, reason: `The bcrypt cost ${cost} is outside 4 to 31.` }
  }
  if (ARGON2.test(value)) return { ok: true, hash: value }
  return {
    ok: false,
    reason: 'The password hash is in no format the gateway verifies (argon2id, argon2i, bcrypt).',
  }
}
