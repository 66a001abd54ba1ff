import { describe, expect, it } from 'vitest'
import { normalizeHost, SLUG, slugFromHost } from '../../src/tenants/hosts.js'

describe('normalizeHost', () => {
  it.each([
    ['demo.localhost', 'demo.localhost'],
    ['DEMO.LOCALHOST', 'demo.localhost'],
    ['demo.localhost:3000', 'demo.localhost'],
    ['demo.localhost.', 'demo.localhost'],
    ['Demo.LocalHost.:3000', 'demo.localhost'],
    [' demo.localhost ', 'demo.localhost'],
    ['shop.example.com', 'shop.example.com'],
    ['my-store.example.com', 'my-store.example.com'],
  ])('normalises %j to %j', (header, host) => {
    expect(normalizeHost(header)).toBe(host)
  })

  it.each([
    ['an empty header', ''],
    ['a missing header', undefined],
    ['a space', 'a b'],
    ['markup', '<script>'],
    ['dots only', '..'],
    ['a single dot', '.'],
    ['an empty label', 'demo..localhost'],
    ['a 300-character name', 'x'.repeat(300)],
    ['a label over 63 characters', `${'x'.repeat(64)}.localhost`],
    ['an underscore', 'my_store.localhost'],
    ['a leading hyphen', '-demo.localhost'],
    ['a trailing hyphen', 'demo-.localhost'],
    ['an IPv6 literal', '[::1]:3000'],
    ['a bare IPv6 literal', '[::1]'],
    ['a port alone', ':3000'],
    ['an IPv4 literal', '127.0.0.1:3000'],
    ['a bare IPv4 literal', '10.0.0.1'],
    ['a port too long', 'demo.localhost:123456'],
    ['user info', 'user@demo.localhost'],
    ['a path', 'demo.localhost/x'],
  ])('refuses %s', (_, header) => {
    expect(normalizeHost(header)).toBeUndefined()
  })

  it('accepts a name of 253 characters and refuses one of 254', () => {
    // Labels of 63 characters joined by dots, cut to `length` (which never ends on a dot here).
    const name = (length: number) => `${'a'.repeat(63)}.`.repeat(4).slice(0, length)
    expect(name(253)).toHaveLength(253)
    expect(normalizeHost(name(253))).toBe(name(253))
    expect(normalizeHost(name(254))).toBeUndefined()
  })
})

describe('slugFromHost', () => {
  it('returns the one label under the base domain', () => {
    expect(slugFromHost('acme.localhost', 'localhost')).toBe('acme')
    expect(slugFromHost('acme-2.stores.example.com', 'stores.example.com')).toBe('acme-2')
  })

  it.each([
    ['the base domain itself', 'localhost'],
    ['a nested label', 'a.acme.localhost'],
    ['a host that only ends with the base domain text', 'acmelocalhost'],
    ['another domain', 'acme.example.com'],
    ['a host with the base domain in the middle', 'acme.localhost.example.com'],
    ['an empty label', '.localhost'],
    ['a one-character slug', 'a.localhost'],
    ['a slug over 40 characters', `${'a'.repeat(41)}.localhost`],
    ['a leading hyphen', '-acme.localhost'],
  ])('refuses %s', (_, host) => {
    expect(slugFromHost(host, 'localhost')).toBeUndefined()
  })
})

describe('SLUG', () => {
  it.each(['ab', 'demo', 'acme-2', 'a-b', '00', 'a'.repeat(40)])('accepts %j', (slug) => {
    expect(SLUG.test(slug)).toBe(true)
  })

  it.each([
    ['too short', 'a'],
    ['empty', ''],
    ['too long', 'a'.repeat(41)],
    ['uppercase', 'Abc'],
    ['an underscore', 'ab_c'],
    ['a leading hyphen', '-abc'],
    ['a trailing hyphen', 'abc-'],
    ['a dot', 'a.b'],
    ['a space', 'a b'],
  ])('refuses %s (%j)', (_, slug) => {
    expect(SLUG.test(slug)).toBe(false)
  })
})
