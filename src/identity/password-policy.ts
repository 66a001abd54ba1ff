import type { CHARACTER_CLASSES, PasswordPolicy } from '../tenants/settings.js'
import { isCommonPassword } from './common-passwords.js'

export const PASSWORD_RULES = [
  'too_short',
  'too_long',
  'missing_lower',
  'missing_upper',
  'missing_digit',
  'missing_symbol',
  'missing_digit_or_symbol',
  'common',
  'contains_email',
  'contains_name',
] as const
export type PasswordRule = (typeof PASSWORD_RULES)[number]

export type PasswordProblem = { code: PasswordRule; params?: Record<string, number | string> }

export type PasswordContext = {
  email: string
  firstName?: string | null
  lastName?: string | null
  tenantName?: string
}

type CharacterClass = (typeof CHARACTER_CLASSES)[number]

// The browser script (src/http/assets/password-policy.js) repeats these patterns verbatim, so
// the live checklist and the server never disagree about what counts as a symbol.
export const CLASS_PATTERNS = {
  lower: /\p{Ll}/u,
  upper: /\p{Lu}/u,
  digit: /\p{Nd}/u,
  symbol: /[^\p{L}\p{N}]/u,
  digit_or_symbol: /\p{Nd}|[^\p{L}\p{N}]/u,
} as const satisfies Record<CharacterClass, RegExp>

// NIST SP 800-63B-4 (password verifiers): compare and hash the NFKC form, never truncate, never trim
// (a space is a valid character, and a trimmed password would not match at login).
export const normalizePassword = (pw: string): string => pw.normalize('NFKC')

// NFKC never shortens a code point's expansion and composes at most 4 code points into one
// (U+1F82 is α + three marks); a code point is at most 2 UTF-16 units. So input longer than
// 8 × maxLength units cannot fit once normalised, and is refused before paying for NFKC.
const UNITS_PER_NORMALISED_CODE_POINT = 8

// Words shorter than 3 characters ("Li", "Ng", a two-letter tenant) would reject many
// passwords while protecting nothing, so context words start at 3.
function containsAny(lowerPassword: string, words: (string | null | undefined)[]): boolean {
  return words
    .map((word) => normalizePassword((word ?? '').trim()).toLowerCase())
    .some((word) => codePoints(word) >= 3 && lowerPassword.includes(word))
}

function codePoints(text: string): number {
  let count = 0
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i)
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1)
      if (next >= 0xdc00 && next <= 0xdfff) i++
    }
    count++
  }
  return count
}

/** Every rule a person must know about for this policy, in display order. */
export function policyRules(policy: PasswordPolicy): PasswordProblem[] {
  const classes = [...new Set(policy.requiredClasses)]
  return [
    { code: 'too_short', params: { min: policy.minLength } },
    { code: 'too_long', params: { max: policy.maxLength } },
    ...classes.map((c): PasswordProblem => ({ code: `missing_${c}` })),
    ...(policy.blockCommon ? [{ code: 'common' } as const] : []),
    { code: 'contains_email' },
    { code: 'contains_name' },
  ]
}

/** Every rule `password` breaks (empty when it is acceptable), in the order of `policyRules`. */
export function checkPassword(
  policy: PasswordPolicy,
  password: string,
  context: PasswordContext,
): PasswordProblem[] {
  const tooLong: PasswordProblem = { code: 'too_long', params: { max: policy.maxLength } }
  if (password.length > policy.maxLength * UNITS_PER_NORMALISED_CODE_POINT) return [tooLong]
  const normalized = normalizePassword(password)
  const length = codePoints(normalized)
  // The other checks scan the whole input; an over-long one is refused whatever they say.
  if (length > policy.maxLength) return [tooLong]

  const problems: PasswordProblem[] = []
  if (length < policy.minLength)
    problems.push({ code: 'too_short', params: { min: policy.minLength } })
  for (const c of new Set(policy.requiredClasses))
    if (!CLASS_PATTERNS[c].test(normalized)) problems.push({ code: `missing_${c}` })

  const lower = normalized.toLowerCase()
  if (policy.blockCommon && isCommonPassword(lower)) problems.push({ code: 'common' })

  const at = context.email.lastIndexOf('@')
  const localPart = at > 0 ? context.email.slice(0, at) : ''
  if (containsAny(lower, [context.email, localPart])) problems.push({ code: 'contains_email' })
  if (containsAny(lower, [context.firstName, context.lastName, context.tenantName]))
    problems.push({ code: 'contains_name' })

  return problems
}
