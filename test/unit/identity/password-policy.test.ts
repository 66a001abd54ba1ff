import { readFileSync } from 'node:fs'
import { runInNewContext } from 'node:vm'
import { describe, expect, it } from 'vitest'
import { commonPasswordCount, isCommonPassword } from '../../../src/identity/common-passwords.js'
import {
  checkPassword,
  normalizePassword,
  policyRules,
} from '../../../src/identity/password-policy.js'
import type { PasswordPolicy } from '../../../src/tenants/settings.js'

const policy = (overrides: Partial<PasswordPolicy> = {}): PasswordPolicy => ({
  minLength: 6,
  maxLength: 128,
  requiredClasses: [],
  blockCommon: false,
  ...overrides,
})
// The seeds in config/password-policies.json.
const classes10 = policy({
  minLength: 10,
  requiredClasses: ['upper', 'lower', 'digit_or_symbol'],
  blockCommon: true,
})
const ada = { email: 'ada.lovelace@example.test', firstName: 'Ada', lastName: 'Lovelace' }
const nobody = { email: 'nobody@example.test' }
const codes = (
  p: PasswordPolicy,
  pw: string,
  context: Parameters<typeof checkPassword>[2] = nobody,
) => checkPassword(p, pw, context).map((problem) => problem.code)

describe('normalizePassword', () => {
  it('applies NFKC without trimming or truncating', () => {
    expect(normalizePassword('ｐａｓｓ１ ')).toBe('pass1 ')
    expect(normalizePassword('ﬁ²')).toBe('fi2')
    expect(normalizePassword('x'.repeat(5000))).toHaveLength(5000)
  })
})

describe('length', () => {
  it.each([6, 10, 15])('needs at least %i code points', (min) => {
    const p = policy({ minLength: min })
    expect(checkPassword(p, 'x'.repeat(min - 1), nobody)).toEqual([
      { code: 'too_short', params: { min } },
    ])
    expect(checkPassword(p, 'x'.repeat(min), nobody)).toEqual([])
  })

  it.each([64, 128, 1024])('allows at most %i code points', (max) => {
    const p = policy({ maxLength: max })
    expect(checkPassword(p, 'x'.repeat(max), nobody)).toEqual([])
    expect(checkPassword(p, 'x'.repeat(max + 1), nobody)).toEqual([
      { code: 'too_long', params: { max } },
    ])
  })

  it('counts code points, not UTF-16 units', () => {
    expect(codes(policy(), '😀'.repeat(6))).toEqual([])
    expect(codes(policy(), '😀'.repeat(5))).toEqual(['too_short'])
    expect(codes(policy({ maxLength: 64 }), '😀'.repeat(64))).toEqual([])
  })

  it('counts the NFKC form: a ligature expands, combining marks compose', () => {
    const p = policy({ minLength: 10 })
    expect(codes(p, 'ﬁ'.repeat(5))).toEqual([])
    expect(codes(p, 'ﬁ'.repeat(4) + 'x')).toEqual(['too_short'])
    expect(codes(p, 'e\u0301'.repeat(6))).toEqual(['too_short'])
    expect(codes(policy({ maxLength: 64 }), 'ﬁ'.repeat(33))).toEqual(['too_long'])
  })

  it('accepts input far longer in UTF-16 than its NFKC form', () => {
    // Bold alpha (2 units) and three marks compose into one code point, ᾂ.
    const alpha = '\u{1D6C2}\u0313\u0300\u0345'
    expect(normalizePassword(alpha)).toBe('\u1F82')
    expect(codes(policy({ maxLength: 64 }), alpha.repeat(64))).toEqual([])
    expect(codes(policy({ maxLength: 64 }), alpha.repeat(65))).toEqual(['too_long'])
  })

  it('returns only too_long for a 1 MB input, whatever else it breaks', () => {
    const strict = policy({ requiredClasses: ['upper', 'digit', 'symbol'], blockCommon: true })
    const huge = 'ada.lovelace'.repeat(1 << 16) // 768 KiB of UTF-16, 1.5 MB in memory
    expect(checkPassword(strict, huge, ada)).toEqual([{ code: 'too_long', params: { max: 128 } }])
    expect(codes(strict, 'x'.repeat(1 << 20))).toEqual(['too_long'])
    expect(codes(policy({ maxLength: 1024 }), '😀'.repeat(1 << 19))).toEqual(['too_long'])
  })
})

describe('character classes', () => {
  it.each([
    ['lower', 'ABCDEF1234', 'ABCDEf1234'],
    ['upper', 'abcdef1234', 'Abcdef1234'],
    ['digit', 'abcdef!!!!', 'abcdef!!!4'],
    ['symbol', 'abcdef1234', 'abcdef-1234'],
    ['digit_or_symbol', 'abcdefghij', 'abcdefghi1'],
    ['digit_or_symbol', 'abcdefghij', 'abcdefghi!'],
  ] as const)('%s: refuses %j, accepts %j', (cls, without, withIt) => {
    const p = policy({ requiredClasses: [cls] })
    expect(codes(p, without)).toEqual([`missing_${cls}`])
    expect(codes(p, withIt)).toEqual([])
  })

  it('uses Unicode categories: letters, digits, and everything else as symbols', () => {
    const all = policy({ requiredClasses: ['lower', 'upper', 'digit', 'symbol'] })
    expect(codes(all, 'Éßé٣ 漢')).toEqual([]) // Lu, Ll, Ll, Nd (Arabic-Indic), space
    expect(codes(all, 'Aa1😀')).toEqual(['too_short'])
    expect(codes(all, '漢字漢字漢字')).toEqual([
      'missing_lower',
      'missing_upper',
      'missing_digit',
      'missing_symbol',
    ])
  })

  it('checks the NFKC form: full-width letters and superscripts count as ASCII', () => {
    const p = policy({ requiredClasses: ['upper', 'digit'] })
    expect(codes(p, 'ＡＢＣｄｅｆ１')).toEqual([])
    expect(codes(p, 'Abcdef²')).toEqual([]) // ² is No, its NFKC form 2 is Nd
  })

  it('applies the classes-10 seed', () => {
    expect(codes(classes10, 'Abcdefghi1')).toEqual([])
    expect(codes(classes10, 'Abcdefgh i')).toEqual([])
    expect(codes(classes10, 'abcdefghi1')).toEqual(['missing_upper'])
    expect(codes(classes10, 'ABCDEFGHI!')).toEqual(['missing_lower'])
    expect(codes(classes10, 'Abcdefghij')).toEqual(['missing_digit_or_symbol'])
  })
})

describe('blocklist', () => {
  it('refuses common passwords in any case or width when blockCommon is on', () => {
    const on = policy({ blockCommon: true })
    for (const pw of ['password1', 'qwertyuiop', 'PassWord1', 'ｐａｓｓｗｏｒｄ１'])
      expect(codes(on, pw)).toEqual(['common'])
    expect(codes(on, 'violet-tram-harbour-42')).toEqual([])
  })

  it('lets them through when blockCommon is off', () => {
    expect(codes(policy({ blockCommon: false }), 'password1')).toEqual([])
  })

  it('loads the zxcvbn-ts list', () => {
    expect(commonPasswordCount()).toBeGreaterThan(40_000)
    expect(isCommonPassword('QWERTYUIOP')).toBe(true)
  })
})

describe('context', () => {
  it('refuses the email local part or the whole email, in any case', () => {
    expect(codes(policy(), 'my ADA.Lovelace key', { email: ada.email })).toEqual(['contains_email'])
    expect(codes(policy(), 'x al@example.test', { email: 'al@example.test' })).toEqual([
      'contains_email',
    ])
    expect(codes(policy(), 'al is my pal', { email: 'al@example.test' })).toEqual([])
  })

  it('refuses first, last and tenant names of 3 characters or more', () => {
    expect(codes(policy(), 'sweet ada 42', ada)).toEqual(['contains_name'])
    expect(codes(policy(), 'LOVELACE!!', { ...ada, email: 'x@y.test' })).toEqual(['contains_name'])
    const acme = { ...nobody, tenantName: 'Acme Store' }
    expect(codes(policy(), 'i shop at acme store', acme)).toEqual(['contains_name'])
    const short = { ...nobody, firstName: 'Li', lastName: null, tenantName: 'Xy' }
    expect(codes(policy(), 'lily xylophone', short)).toEqual([])
  })
})

describe('all problems at once', () => {
  it('lists every broken rule in policyRules order', () => {
    const context = { email: 'ada@example.test', firstName: 'Ada' }
    expect(checkPassword(classes10, 'ada', context)).toEqual([
      { code: 'too_short', params: { min: 10 } },
      { code: 'missing_upper' },
      { code: 'missing_digit_or_symbol' },
      { code: 'contains_email' },
      { code: 'contains_name' },
    ])
    expect(codes(classes10, 'iloveyou', context)).toEqual([
      'too_short',
      'missing_upper',
      'missing_digit_or_symbol',
      'common',
    ])
  })
})

describe('policyRules', () => {
  it('lists what a person must know for the policy', () => {
    expect(policyRules(classes10)).toEqual([
      { code: 'too_short', params: { min: 10 } },
      { code: 'too_long', params: { max: 128 } },
      { code: 'missing_upper' },
      { code: 'missing_lower' },
      { code: 'missing_digit_or_symbol' },
      { code: 'common' },
      { code: 'contains_email' },
      { code: 'contains_name' },
    ])
    expect(policyRules(policy()).map((r) => r.code)).toEqual([
      'too_short',
      'too_long',
      'contains_email',
      'contains_name',
    ])
  })
})

/** Runs the browser checklist on a minimal DOM and returns a way to type into its form. */
function checklist(p: PasswordPolicy, rules: string[]) {
  const node = (attributes: Record<string, string> = {}, text = '') => ({
    value: '',
    textContent: text,
    style: {},
    getAttribute: (name: string) => attributes[name] ?? null,
    setAttribute: (name: string, value: string) => void (attributes[name] = value),
  })
  const items = rules.map((rule) => node({ 'data-rule': rule }, rule))
  const region = node()
  const list = { ...node(), querySelectorAll: () => items, insertAdjacentElement: () => region }
  const [password, confirm] = [node(), node()]
  let onInput: (event: { target: unknown }) => void = () => {}
  const byId: Record<string, unknown> = { '#password': password, '#password-confirm': confirm }
  const form = {
    ...node({ 'data-password-policy': JSON.stringify(p) }),
    querySelector: (id: string) => (id === '#password-rules' ? list : byId[id]),
    addEventListener: (_: string, fn: typeof onInput) => void (onInput = fn),
  }
  const document = {
    readyState: 'complete',
    documentElement: { lang: 'en' },
    querySelectorAll: () => [form],
    createElement: () => region,
  }
  const code = readFileSync('src/http/assets/password-policy.js', 'utf8')
  runInNewContext(code, { document, setTimeout: (fn: () => void) => fn(), clearTimeout() {} })
  return (pw: string, again = pw) => {
    password.value = pw
    confirm.value = again
    onInput({ target: password })
    const met = Object.fromEntries(items.map((i) => [i.textContent, i.getAttribute('data-met')]))
    return { met, announced: region.textContent }
  }
}

describe('browser checklist (src/http/assets/password-policy.js)', () => {
  const p = policy({
    requiredClasses: ['lower', 'upper', 'digit', 'symbol', 'digit_or_symbol'],
    blockCommon: true,
  })
  const rules = [...policyRules(p).map((r) => r.code), 'match']
  const type = checklist(p, rules)
  // 〇 (Nl) is a number but not a digit, so neither class; NFKC turns Ⅻ into the letters XII.
  const samples = [
    '',
    'abc',
    'ABCdef123',
    'Ab1!xy',
    'ﬁﬁﬁ',
    'ｐａｓｓ²',
    'ÉCOLE été',
    '漢字漢字',
    '٣٣٣',
  ]
  const more = ['😀😀', 'e\u0301'.repeat(6), 'x'.repeat(129), 'AAAA aaaa', 'Ⅻ', '\u00a0', '〇〇〇']

  it.each([...samples, ...more])('agrees with checkPassword on %j', (pw) => {
    const refused = new Set<string>(codes(p, pw))
    const { met } = type(pw)
    // The server stops at too_long, so only the lengths are comparable then.
    const classes = refused.has('too_long') ? [] : p.requiredClasses.map((c) => `missing_${c}`)
    for (const rule of ['too_short', 'too_long', ...classes])
      expect([rule, met[rule]]).toEqual([rule, String(!refused.has(rule))])
    expect([met.common, met.contains_email, met.contains_name]).toEqual([null, null, null])
  })

  it('marks the confirmation and announces what is still needed', () => {
    expect(type('Ab1!xy', 'Ab1!xz').met.match).toBe('false')
    expect(type('Ab1!xy', 'Ab1!xy').met.match).toBe('true')
    expect(type('Ab1!xy', '').met.match).toBe('false')
    expect(type('Ab1!xy').announced).toBe('The password meets every requirement.')
    expect(type('ab').announced).toBe(
      'Still needed: too_short; missing_upper; missing_digit; missing_symbol; missing_digit_or_symbol.',
    )
  })
})
