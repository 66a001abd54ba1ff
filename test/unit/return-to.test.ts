import { describe, expect, it } from 'vitest'
import { abortSignIn, safeReturnTo } from '../../src/http/return-to.js'

describe('safeReturnTo', () => {
  it('keeps paths of this origin', () => {
    for (const path of ['/', '/apps?x=1', '/interaction/abc-_1', '/a/b#c'])
      expect(safeReturnTo(path)).toBe(path)
  })

  it('never yields another origin, even after dot segments are resolved', () => {
    for (const value of [
      '//evil.example/x',
      '/\\evil.example',
      'https://evil.example',
      '/.//evil.example',
      '/..//evil.example',
      '/%2e//evil.example',
      '/a/..//evil.example/x',
      '/./%2e//evil.example',
      'evil.example',
      '/\u0000x',
      42,
      undefined,
    ]) {
      const once = safeReturnTo(value)
      expect(once, String(value)).toBe('/')
      expect(safeReturnTo(once)).toBe(once)
    }
  })
})

describe('abortSignIn', () => {
  it("ends only an app's sign-in", () => {
    expect(abortSignIn('/interaction/abc')).toBe('/interaction/abc/abort')
    expect(abortSignIn('/interaction/abc', 'disabled')).toBe(
      '/interaction/abc/abort?reason=disabled',
    )
    for (const other of ['/', '/apps', '/interaction/abc/abort', '/interaction/a?b=1'])
      expect(abortSignIn(other)).toBeUndefined()
  })
})
