import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'

// The blocklist is zxcvbn-ts's "passwords-common" dictionary (@zxcvbn-ts/language-common 4.x,
// MIT): ~49,000 passwords ranked by frequency in public breach corpora. The package's own entry
// point builds every dictionary and keyboard graph at import, so we read only this JSON file,
// and only the first time a password is checked: a process that never checks one pays nothing.
const LIST = '@zxcvbn-ts/language-common/src/passwords.json'

let common: Set<string> | undefined

function load(): Set<string> {
  const path = createRequire(import.meta.url).resolve(LIST)
  const entries: unknown = JSON.parse(readFileSync(path, 'utf8'))
  if (!Array.isArray(entries) || !entries.every((e) => typeof e === 'string'))
    throw new Error(`${LIST} is not a list of strings`)
  return new Set(entries.map((e) => e.toLowerCase()))
}

export function isCommonPassword(pw: string): boolean {
  common ??= load()
  return common.has(pw.toLowerCase())
}

/** Number of distinct entries (loads the list). */
export function commonPasswordCount(): number {
  common ??= load()
  return common.size
}
