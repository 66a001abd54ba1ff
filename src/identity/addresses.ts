import { domainToASCII } from 'node:url'
import { isMailAddress } from '../lib/mail-address.js'

export const EMAIL_PROBLEMS = {
  empty: 'Enter an email address.',
  too_long: 'This email address is too long.',
  invalid_characters: 'This email address contains spaces, line breaks or characters not allowed.',
  invalid_local_part: 'The part before the @ is not valid.',
  invalid_domain: 'The part after the @ is not a valid domain name.',
  missing_at: 'An email address needs an @.',
  unsupported_local_part:
    'We can only send mail to addresses with plain Latin letters, digits and punctuation before the @.',
  // A row pasted from a spreadsheet (`First, Last, email`, or tab-separated cells).
  no_address_cell:
    'No cell of this row holds an email address (expected: first name, last name, email).',
  extra_name_cell: 'This cell is before the email address but after first and last name.',
  name_too_long: 'This name is longer than 100 characters.',
} as const
export type EmailProblem = keyof typeof EMAIL_PROBLEMS

export type NormalizedEmail = { ok: true; email: string; key: string }
export type EmailResult = NormalizedEmail | { ok: false; reason: EmailProblem }

export type EmailList = {
  emails: { email: string; key: string; line: number; firstName?: string; lastName?: string }[]
  /** `column` (1-based): the cell of a spreadsheet row that is wrong. */
  invalid: { input: string; line: number; column?: number; reason: EmailProblem }[]
  duplicates: { input: string; line: number }[]
  truncated: boolean
}

const MAX_ADDRESS = 254 // RFC 5321 §4.5.3.1.3 path minus the angle brackets
const MAX_LOCAL = 64
const MAX_DOMAIN = 253
// A pasted item may carry a display name; anything longer is refused before any regex runs.
const MAX_ITEM = 512
const SHOWN_INPUT = 100

// Header injection (CR/LF), display names, quoted local parts and comments are refused here, and
// so are invisible characters (zero-width, bidi overrides) and lone surrogates.
const FORBIDDEN = /[\s<>",;\p{Cc}\p{Cf}\p{Cs}\p{Z}]/u
// RFC 5321 atext, plus any non-ASCII character (RFC 6531); dots only between atoms.
const DOT_ATOM =
  /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~\u{80}-\u{10FFFF}]+(?:\.[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~\u{80}-\u{10FFFF}]+)*$/u
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/
const TLD = /^(?:[a-z]+|xn--[a-z0-9-]+)$/

const utf8Length = (s: string) => Buffer.byteLength(s, 'utf8')

export function normalizeEmail(input: string): EmailResult {
  const trimmed = input.trim()
  if (trimmed === '') return { ok: false, reason: 'empty' }
  if (trimmed.length > MAX_ADDRESS) return { ok: false, reason: 'too_long' }
  if (FORBIDDEN.test(trimmed)) return { ok: false, reason: 'invalid_characters' }

  const at = trimmed.lastIndexOf('@')
  if (at === -1) return { ok: false, reason: 'missing_at' }
  const local = trimmed.slice(0, at)
  // NFKC may turn full-width forms into '@' or '.': the key must be a well-formed address too.
  const localKey = local.normalize('NFKC')
  if (utf8Length(local) > MAX_LOCAL || !DOT_ATOM.test(local) || !DOT_ATOM.test(localKey))
    return { ok: false, reason: 'invalid_local_part' }

  const domain = asciiDomain(trimmed.slice(at + 1))
  if (!domain) return { ok: false, reason: 'invalid_domain' }

  // Full-width forms fold to the ASCII the person meant: `ＡＤＡ@…` is mailed as `ADA@…`.
  const email = `${localKey}@${domain}`
  const key = email.toLowerCase()
  if (utf8Length(email) > MAX_ADDRESS || utf8Length(key) > MAX_ADDRESS)
    return { ok: false, reason: 'too_long' }
  // What we accept, the outbox and the mailer send (one definition, lib/mail-address.ts).
  if (!isMailAddress(email)) return { ok: false, reason: 'unsupported_local_part' }
  return { ok: true, email, key }
}

/**
 * The identity a rate limit counts an address under: the key the account lookup uses, so no
 * spelling (case, full-width forms) gets a counter of its own; unusable input counts as typed.
 */
export function addressKey(input: string): string {
  const address = normalizeEmail(input)
  return address.ok ? address.key : input.trim().normalize('NFKC').toLowerCase()
}

function asciiDomain(domain: string): string | undefined {
  // domainToASCII lowercases, applies IDNA mapping and punycode, and returns '' when it fails;
  // it also checks existing xn-- labels. It is lenient about LDH, hence the checks after it.
  const ascii = domain === '' ? '' : domainToASCII(domain)
  if (ascii === '' || ascii.length > MAX_DOMAIN) return undefined
  const labels = ascii.split('.')
  const tld = labels[labels.length - 1] ?? ''
  if (labels.length < 2 || !labels.every((l) => LABEL.test(l)) || !TLD.test(tld)) return undefined
  return ascii
}

/**
 * A paste from Excel or Outlook: one address per line, cell, or `,`/`;`-separated item,
 * `Name <address>` allowed. Linear in the input; every list stops at `max` entries.
 */
export function parseEmailList(text: string, max = 10_000): EmailList {
  const list: EmailList = { emails: [], invalid: [], duplicates: [], truncated: false }
  const seen = new Set<string>()
  const lines = text.split(/\r\n|\r|\n/)

  for (const [index, content] of lines.entries()) {
    const line = index + 1
    const row = spreadsheetRow(content)
    if (row) {
      if (!addRow(list, seen, max, row, line)) return list
      continue
    }
    // Outlook copies "Doe, John <john@example.com>": pieces without an @ right before a
    // `Name <address>` item are part of its display name, not addresses.
    let nameParts: string[] = []
    const flushNameParts = () =>
      nameParts.every((input) => add(list, 'invalid', max, { input, line, reason: 'missing_at' }))

    for (const raw of content.split(/[,;\t]/)) {
      const item = raw.trim()
      if (item === '') continue
      const short = item.length <= MAX_ITEM
      if (short && !item.includes('@') && !item.includes('<')) {
        nameParts.push(item)
        continue
      }
      const isNamed = short && item.includes('<')
      if (!isNamed && !flushNameParts()) return list
      const outlookLastName = isNamed ? nameParts.join(' ') : ''
      nameParts = []
      if (!addItem(list, seen, max, item, line, outlookLastName)) return list
    }
    if (!flushNameParts()) return list
  }
  return list
}

function addItem(
  list: EmailList,
  seen: Set<string>,
  max: number,
  item: string,
  line: number,
  lastNameBefore: string,
) {
  if (item.length > MAX_ITEM)
    return add(list, 'invalid', max, { input: shown(item), line, reason: 'too_long' })
  const address = unbracket(item)
  const parsed = address === undefined ? undefined : normalizeEmail(address)
  if (!parsed || !parsed.ok) {
    const reason = parsed?.reason ?? 'invalid_characters'
    return add(list, 'invalid', max, { input: item, line, reason })
  }
  if (seen.has(parsed.key)) return add(list, 'duplicates', max, { input: item, line })
  seen.add(parsed.key)
  return add(list, 'emails', max, {
    email: parsed.email,
    key: parsed.key,
    line,
    ...displayName(item, lastNameBefore),
  })
}

/**
 * The person's name from `Grace Hopper <a@b.c>` (first word, then the rest) or Outlook's
 * `Hopper, Grace <a@b.c>` (the part before the comma is the last name). Plain text, capped.
 */
function displayName(
  item: string,
  lastNameBefore: string,
): { firstName?: string; lastName?: string } {
  const open = item.indexOf('<')
  const name = (open > 0 ? item.slice(0, open) : '')
    .trim()
    .replace(/^["']|["']$/g, '')
    .trim()
  if (!name) return {}
  const cap = (s: string) => s.slice(0, 100) || undefined
  if (lastNameBefore) return { firstName: cap(name), lastName: cap(lastNameBefore) }
  const space = name.indexOf(' ')
  return space === -1
    ? { firstName: cap(name) }
    : { firstName: cap(name.slice(0, space)), lastName: cap(name.slice(space + 1).trim()) }
}

/** `Name <a@b.c>` -> `a@b.c`; a bare address is returned as is; broken brackets -> undefined. */
function unbracket(item: string): string | undefined {
  const open = item.indexOf('<')
  if (open === -1) return item.includes('>') ? undefined : item
  const close = item.indexOf('>', open)
  if (close === -1 || item.indexOf('<', open + 1) !== -1 || item.slice(close + 1).trim() !== '')
    return undefined
  return item.slice(open + 1, close)
}

function add<K extends 'emails' | 'invalid' | 'duplicates'>(
  list: EmailList,
  kind: K,
  max: number,
  entry: EmailList[K][number],
): boolean {
  if (list[kind].length >= max) {
    list.truncated = true
    return false
  }
  ;(list[kind] as EmailList[K][number][]).push(entry)
  return true
}

const shown = (input: string) =>
  input.length > SHOWN_INPUT ? `${input.slice(0, SHOWN_INPUT)}…` : input

const NAME_MAX = 100
// `ada.example.com` in a name cell is an address that lost its @, not a name.
const LOOKS_LIKE_DOMAIN = /^[^\s@]+\.[a-z]{2,}$/i

function nameProblem(cell: string, index: number): EmailProblem | undefined {
  if (cell === '') return undefined
  if (cell.length > NAME_MAX) return 'name_too_long'
  if (LOOKS_LIKE_DOMAIN.test(cell)) return 'missing_at'
  return index >= 2 ? 'extra_name_cell' : undefined
}
const HEADER = /^e-?mail(\s*address)?$/i

/**
 * A row copied from a spreadsheet: tab-separated cells, or `First, Last, email` with one cell
 * holding an @ and some without. Lists of addresses and Outlook's `Doe, John <a@b.c>` are not.
 */
function spreadsheetRow(content: string): string[] | undefined {
  if (content.includes('<')) return undefined
  const cells = content.split(content.includes('\t') ? '\t' : /[,;]/).map((c) => c.trim())
  const withAt = cells.filter((c) => c.includes('@')).length
  const plain = cells.filter((c) => c !== '' && !c.includes('@')).length
  if (cells.length < 2 || plain === 0 || withAt > 1) return undefined
  return cells
}

/** Each wrong cell is its own invalid entry, with its column and why. */
function addRow(list: EmailList, seen: Set<string>, max: number, cells: string[], line: number) {
  const at = cells.findIndex((c) => c.includes('@'))
  if (at === -1) {
    if (cells.some((c) => HEADER.test(c))) return true // the header row: First name, Last name, Email
    return add(list, 'invalid', max, {
      input: shown(cells.join(', ')),
      line,
      reason: 'no_address_cell',
    })
  }
  const names = cells.slice(0, at)
  for (const [i, cell] of names.entries()) {
    const reason = nameProblem(cell, i)
    if (reason && !add(list, 'invalid', max, { input: shown(cell), line, column: i + 1, reason }))
      return false
  }
  // Cells after the address: a list that lost an @ (`a@b.c, nope`), said cell by cell.
  for (const [i, rest] of cells.entries())
    if (
      i > at &&
      rest !== '' &&
      !add(list, 'invalid', max, { input: shown(rest), line, column: i + 1, reason: 'missing_at' })
    )
      return false
  const cell = cells[at] ?? ''
  const parsed = cell.length > MAX_ITEM ? undefined : normalizeEmail(cell)
  if (!parsed || !parsed.ok) {
    const reason = parsed?.reason ?? 'too_long'
    return add(list, 'invalid', max, { input: shown(cell), line, column: at + 1, reason })
  }
  if (seen.has(parsed.key)) return add(list, 'duplicates', max, { input: cell, line })
  seen.add(parsed.key)
  const name = (i: number) => (names[i] && names[i].length <= NAME_MAX ? names[i] : undefined)
  const firstName = name(0)
  const lastName = name(1)
  return add(list, 'emails', max, {
    email: parsed.email,
    key: parsed.key,
    line,
    ...(firstName ? { firstName } : {}),
    ...(lastName ? { lastName } : {}),
  })
}
