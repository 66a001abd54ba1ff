import { describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config.js'
import { Duration, durationMs, durationSeconds } from '../../src/lib/duration.js'
import { TenantSettings } from '../../src/tenants/settings.js'

const testEnv = { NODE_ENV: 'test', SECRET_KEY: 'x'.repeat(40) }
const config = loadConfig(testEnv, 'config')
const defaults = config.tenantDefaults

/** The dotted paths of the issues `TenantSettings` reports for `input`, or [] if it passes. */
const issuePaths = (input: unknown) => {
  const result = TenantSettings.safeParse(input)
  return result.success ? [] : result.error.issues.map((issue) => issue.path.join('.'))
}

describe('TenantSettings', () => {
  it('accepts the parsed defaults', () => {
    expect(TenantSettings.parse(defaults)).toEqual(defaults)
  })

  it('rejects a red warning later than the yellow one', () => {
    const warnings = { yellow: '3d', red: '7d' }
    expect(issuePaths({ ...defaults, warnings })).toEqual(['warnings.red'])
  })

  it('accepts equal warnings, compared by length not by text', () => {
    const withWarnings = (yellow: string, red: string) => ({
      ...defaults,
      warnings: { yellow, red },
    })
    expect(issuePaths(withWarnings('7d', '7d'))).toEqual([])
    expect(issuePaths(withWarnings('1w', '6d'))).toEqual([])
    expect(issuePaths(withWarnings('48h', '3d'))).toEqual(['warnings.red'])
  })

  it('rejects unknown keys', () => {
    expect(issuePaths({ ...defaults, colour: 'red' })).toHaveLength(1)
    const warnings = { ...defaults.warnings, orange: '5d' }
    expect(issuePaths({ ...defaults, warnings })).toEqual(['warnings'])
    const passwordPolicy = { ...defaults.passwordPolicy, extra: 1 }
    expect(issuePaths({ ...defaults, passwordPolicy })).toEqual(['passwordPolicy'])
  })

  it('rejects a missing key', () => {
    const { retention: _, ...withoutRetention } = defaults
    expect(issuePaths(withoutRetention)).toEqual(['retention'])
  })

  it('rejects a minimum password length of 5', () => {
    const passwordPolicy = { ...defaults.passwordPolicy, minLength: 5 }
    expect(issuePaths({ ...defaults, passwordPolicy })).toEqual(['passwordPolicy.minLength'])
  })

  it.each(['short-6', 'classes-10'])('accepts the %s policy from config/', (name) => {
    const passwordPolicy = config.passwordPolicies[name]
    expect(passwordPolicy).toBeDefined()
    expect(issuePaths({ ...defaults, passwordPolicy })).toEqual([])
  })

  it('rejects a minimum length above the maximum', () => {
    const passwordPolicy = { ...defaults.passwordPolicy, minLength: 100, maxLength: 64 }
    expect(issuePaths({ ...defaults, passwordPolicy })).toEqual(['passwordPolicy'])
  })

  it('rejects an unknown character class', () => {
    const passwordPolicy = { ...defaults.passwordPolicy, requiredClasses: ['emoji'] }
    const paths = issuePaths({ ...defaults, passwordPolicy })
    expect(paths).toEqual(['passwordPolicy.requiredClasses.0'])
  })

  it('rejects a native store without URLs and accepts one with them', () => {
    expect(issuePaths({ ...defaults, store: { kind: 'native' } })).toEqual(
      expect.arrayContaining(['store.iosUrl', 'store.androidUrl']),
    )
    const store = {
      kind: 'native',
      iosUrl: 'https://apps.apple.com/app/id1',
      androidUrl: 'https://play.google.com/store/apps/details?id=x',
    }
    expect(issuePaths({ ...defaults, store })).toEqual([])
  })

  it('rejects a web store carrying app URLs and an unknown store kind', () => {
    const store = { kind: 'web', iosUrl: 'https://x.example' }
    expect(issuePaths({ ...defaults, store })).toHaveLength(1)
    expect(issuePaths({ ...defaults, store: { kind: 'kiosk' } })).toEqual(['store.kind'])
  })

  it('rejects an unknown locale', () => {
    expect(issuePaths({ ...defaults, defaultLocale: 'xx' })).toEqual(['defaultLocale'])
  })
})

describe('Duration', () => {
  it.each([
    ['90s', 90],
    ['15m', 900],
    ['24h', 86_400],
    ['7d', 604_800],
    ['2w', 1_209_600],
    ['999999s', 999_999],
  ])('reads %s as %i seconds', (text, seconds) => {
    expect(Duration.safeParse(text).success).toBe(true)
    expect(durationSeconds(text)).toBe(seconds)
    expect(durationMs(text)).toBe(seconds * 1000)
  })

  it.each(['0d', '7', '7 days', '-1d', '', 'd', '1.5h', '07d', '7D', '1y', ' 7d', '1000000s'])(
    'refuses %j',
    (text) => {
      expect(Duration.safeParse(text).success).toBe(false)
    },
  )

  it('refuses a number', () => {
    expect(Duration.safeParse(7).success).toBe(false)
  })
})

// Issue 11: a fresh invitation is never yellow on the day it is sent.
describe('warning thresholds against the invitation lifetime', () => {
  const withTimes = (invitationTtl: string, yellow: string, red = '1h') => ({
    ...defaults,
    invitationTtl,
    warnings: { yellow, red },
  })

  it('refuses a yellow warning as long as the lifetime, with a message that says why', () => {
    const result = TenantSettings.safeParse(withTimes('7d', '7d', '3d'))
    expect(result.success).toBe(false)
    expect(result.error?.issues).toEqual([
      expect.objectContaining({
        path: ['warnings', 'yellow'],
        message: expect.stringContaining('at least a day after the invitation is sent'),
      }),
    ])
  })

  it('asks for a full day before yellow, or half the lifetime for short links', () => {
    expect(issuePaths(withTimes('7d', '6d', '3d'))).toEqual([])
    expect(issuePaths(withTimes('7d', '145h', '3d'))).toEqual(['warnings.yellow'])
    expect(issuePaths(withTimes('24h', '12h'))).toEqual([])
    expect(issuePaths(withTimes('24h', '13h'))).toEqual(['warnings.yellow'])
  })

  it('ships defaults whose fresh invitations start without a colour', () => {
    expect(
      durationSeconds(defaults.invitationTtl) - durationSeconds(defaults.warnings.yellow),
    ).toBeGreaterThanOrEqual(86_400)
  })
})
