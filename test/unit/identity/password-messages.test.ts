import { describe, expect, it } from 'vitest'
import { matchLabel, problemMessage, ruleLabel } from '../../../src/identity/password-messages.js'
import { PASSWORD_RULES, type PasswordProblem } from '../../../src/identity/password-policy.js'
import { LOCALES } from '../../../src/lib/locales.js'

const params = { min: 10, max: 128 }
const cases = LOCALES.flatMap((locale) => PASSWORD_RULES.map((code) => [locale, code] as const))

describe('password messages', () => {
  it.each(cases)('%s has a label and a reason for %s', (locale, code) => {
    const problem: PasswordProblem = { code, params }
    for (const text of [ruleLabel(problem, locale), problemMessage(problem, locale)]) {
      expect(text.trim().length).toBeGreaterThan(3)
      expect(text).not.toMatch(/[{}]|undefined/)
    }
    expect(problemMessage(problem, locale)).toMatch(/\.$/)
  })

  it('fills the length parameters', () => {
    expect(ruleLabel({ code: 'too_short', params: { min: 10 } }, 'en')).toBe(
      'At least 10 characters',
    )
    expect(problemMessage({ code: 'too_short', params: { min: 10 } }, 'en')).toBe(
      'Use at least 10 characters.',
    )
    expect(problemMessage({ code: 'too_long', params: { max: 64 } }, 'de')).toBe(
      'Verwenden Sie höchstens 64 Zeichen.',
    )
  })

  it('speaks every locale differently', () => {
    const labels = LOCALES.map((locale) => ruleLabel({ code: 'missing_upper' }, locale))
    expect(new Set(labels).size).toBe(LOCALES.length)
    expect(LOCALES.map(matchLabel).every((label) => label.length > 0)).toBe(true)
  })
})
