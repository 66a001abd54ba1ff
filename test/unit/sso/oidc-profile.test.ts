import { describe, expect, it } from 'vitest'
import { OIDC_CLAIMS } from '../../../src/sso/connection.js'
import { oidcProfile, pinnedAlgorithm } from '../../../src/sso/oidc-profile.js'

describe('the ID-token algorithm pinned from discovery (RFC 8725 3.1)', () => {
  it.each([
    [['none', 'HS256', 'ES256', 'RS256'], 'RS256'],
    [['HS256', 'PS384', 'ES256'], 'PS384'],
    [['EdDSA'], 'EdDSA'],
    [['none', 'HS256', 'HS512'], undefined],
    [undefined, undefined],
    ['RS256', undefined],
  ])('offered %j: %s', (offered, pinned) => {
    expect(pinnedAlgorithm(offered)).toBe(pinned)
  })
})

describe('the profile from verified claims', () => {
  const idToken = { sub: 'u-1', email: 'ann@corp.example', given_name: 'Ann', groups: 'staff' }
  const profile = (over: Record<string, unknown> = {}, entraTenant?: string) =>
    oidcProfile({
      idToken: { ...idToken, ...over },
      userinfo: { family_name: 'Lee', email: 'x@y.example' },
      mapping: OIDC_CLAIMS,
      entraTenant,
    })

  it('takes the ID token first, userinfo for the rest; amr defaults to ext', () => {
    expect(profile()).toEqual({
      ok: true,
      profile: {
        subject: 'u-1',
        email: 'ann@corp.example',
        firstName: 'Ann',
        lastName: 'Lee',
        groups: ['staff'],
        amr: ['ext'],
      },
    })
    expect(profile({ amr: ['pwd', 'otp'] })).toMatchObject({ profile: { amr: ['pwd', 'otp'] } })
  })

  it('keys an Entra multi-tenant identity by tid and sub', () => {
    expect(profile({}, 'tid-1')).toMatchObject({ profile: { subject: 'tid-1:u-1' } })
  })

  it.each([false, 'false'])('refuses email_verified %j', (verified) => {
    expect(profile({ email_verified: verified })).toEqual({ ok: false, reason: 'email_unverified' })
  })
})
