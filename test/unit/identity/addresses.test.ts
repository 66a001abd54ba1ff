import { describe, expect, it } from 'vitest'
import { EMAIL_PROBLEMS, normalizeEmail, parseEmailList } from '../../../src/identity/addresses.js'

describe('normalizeEmail', () => {
  it.each([
    ['ada@example.com', 'ada@example.com', 'ada@example.com'],
    [
      '  Ada.Lovelace+news@Example.COM \n',
      'Ada.Lovelace+news@example.com',
      'ada.lovelace+news@example.com',
    ],
    [
      "o'brien!#$%&*=?^_`{|}~-@mail.example.org",
      "o'brien!#$%&*=?^_`{|}~-@mail.example.org",
      "o'brien!#$%&*=?^_`{|}~-@mail.example.org",
    ],
    ['jurgen@bücher.de', 'jurgen@xn--bcher-kva.de', 'jurgen@xn--bcher-kva.de'],
    ['a@xn--bcher-kva.de', 'a@xn--bcher-kva.de', 'a@xn--bcher-kva.de'],
    ['ＡＤＡ@example.com', 'ADA@example.com', 'ada@example.com'],
  ])('accepts %j', (input, email, key) => {
    expect(normalizeEmail(input)).toEqual({ ok: true, email, key })
  })

  it.each([
    ['', 'empty'],
    ['   ', 'empty'],
    ['a@b.com\r\nBcc: x@y.z', 'invalid_characters'],
    ['a@b.com\nBcc: x@y.z', 'invalid_characters'],
    ['a@b.com\rx', 'invalid_characters'],
    ['a\u0000@b.com', 'invalid_characters'],
    ['a b@example.com', 'invalid_characters'],
    ['Ada <ada@example.com>', 'invalid_characters'],
    ['"ada"@example.com', 'invalid_characters'],
    ['a@example.com, b@example.com', 'invalid_characters'],
    ['a@example.com;b@example.com', 'invalid_characters'],
    ['ad\u200ba@example.com', 'invalid_characters'],
    ['ada@exa\u202emple.com', 'invalid_characters'],
    ['ada.example.com', 'missing_at'],
    ['jürgen@bücher.de', 'unsupported_local_part'],
    ['@example.com', 'invalid_local_part'],
    ['.ada@example.com', 'invalid_local_part'],
    ['ada.@example.com', 'invalid_local_part'],
    ['a..da@example.com', 'invalid_local_part'],
    ['a@b@example.com', 'invalid_local_part'],
    ['ada(comment)@example.com', 'invalid_local_part'],
    ['a\\b@example.com', 'invalid_local_part'],
    ['ａ＠evil.com@example.com', 'invalid_local_part'],
    [`${'a'.repeat(65)}@example.com`, 'invalid_local_part'],
    ['ada@', 'invalid_domain'],
    ['ada@localhost', 'invalid_domain'],
    ['ada@example', 'invalid_domain'],
    ['ada@example.com.', 'invalid_domain'],
    ['ada@exa_mple.com', 'invalid_domain'],
    ['ada@-example.com', 'invalid_domain'],
    ['ada@example-.com', 'invalid_domain'],
    ['ada@example..com', 'invalid_domain'],
    ['ada@1.2.3.4', 'invalid_domain'],
    ['ada@[127.0.0.1]', 'invalid_domain'],
    ['ada@example.c0m', 'invalid_domain'],
    ['ada@xn--zz.com', 'invalid_domain'],
    [`ada@${'a'.repeat(64)}.com`, 'invalid_domain'],
    [`ada@${'bücher.'.repeat(20)}de`, 'invalid_domain'],
    [`${'a'.repeat(64)}@${'abcdefghi.'.repeat(19)}com`, 'too_long'],
    ['a'.repeat(1_000_000), 'too_long'],
  ])('refuses %j (%s)', (input, reason) => {
    expect(normalizeEmail(input)).toEqual({ ok: false, reason })
  })

  it('has an English message for every reason', () => {
    for (const message of Object.values(EMAIL_PROBLEMS)) expect(message).toMatch(/^[A-Z].+\.$/)
  })
})

describe('parseEmailList', () => {
  it('reads an Excel paste: rows, tab-separated cells, names with addresses', () => {
    const paste = 'ada@example.com\tBob Builder <bob@example.org>\r\ncarol@example.net\t\t\r\n\r\n'
    expect(parseEmailList(paste)).toEqual({
      emails: [
        { email: 'ada@example.com', key: 'ada@example.com', line: 1 },
        {
          email: 'bob@example.org',
          key: 'bob@example.org',
          line: 1,
          firstName: 'Bob',
          lastName: 'Builder',
        },
        { email: 'carol@example.net', key: 'carol@example.net', line: 2 },
      ],
      invalid: [],
      duplicates: [],
      truncated: false,
    })
  })

  it('reads an Outlook paste, display names with commas included', () => {
    const paste =
      'Lovelace, Ada <ada@example.com>; "Hopper, Grace" <grace@example.com>, dan@example.com'
    const list = parseEmailList(paste)
    expect(list.emails.map((e) => e.email)).toEqual([
      'ada@example.com',
      'grace@example.com',
      'dan@example.com',
    ])
    expect(list.invalid).toEqual([])
  })

  it('counts unicode and uppercase variants of one address as duplicates', () => {
    const list = parseEmailList(
      'Ada@Example.com\nada@example.com\nａda@example.com\nADA@EXAMPLE.COM',
    )
    expect(list.emails).toEqual([{ email: 'Ada@example.com', key: 'ada@example.com', line: 1 }])
    expect(list.duplicates).toEqual([
      { input: 'ada@example.com', line: 2 },
      { input: 'ａda@example.com', line: 3 },
      { input: 'ADA@EXAMPLE.COM', line: 4 },
    ])
  })

  it('reports each invalid item with its line and reason', () => {
    const list = parseEmailList('ok@example.com, nope\nBroken <a@example.com\nx@y@z.com\n<>\n')
    expect(list.emails.map((e) => e.line)).toEqual([1])
    expect(list.invalid).toEqual([
      { input: 'nope', line: 1, column: 2, reason: 'missing_at' }, // a cell of a row (issue 11)
      { input: 'Broken <a@example.com', line: 2, reason: 'invalid_characters' },
      { input: 'x@y@z.com', line: 3, reason: 'invalid_local_part' },
      { input: '<>', line: 4, reason: 'empty' },
    ])
  })

  it('cannot be used to inject a header: a CR inside an item splits it into lines', () => {
    const list = parseEmailList('a@b.com\r\nBcc: x@y.z')
    expect(list.emails.map((e) => e.email)).toEqual(['a@b.com'])
    expect(list.invalid).toEqual([{ input: 'Bcc: x@y.z', line: 2, reason: 'invalid_characters' }])
  })

  it('parses 10,000 addresses in milliseconds', () => {
    const paste = Array.from({ length: 10_000 }, (_, i) => `user${i}@example.com`).join('\n')
    const started = performance.now()
    const list = parseEmailList(paste)
    expect(performance.now() - started).toBeLessThan(500)
    expect(list.emails).toHaveLength(10_000)
    expect(list.truncated).toBe(false)
  })

  it('stops at max and says so', () => {
    const paste = Array.from({ length: 12 }, (_, i) => `user${i}@example.com`).join(',')
    const list = parseEmailList(paste, 10)
    expect(list.emails).toHaveLength(10)
    expect(list.truncated).toBe(true)
  })

  it('turns a 1 MB paste without separators into one invalid item, quickly', () => {
    for (const garbage of [
      'a'.repeat(1_000_000),
      `${'a.'.repeat(500_000)}@x`,
      '<'.repeat(1_000_000),
    ]) {
      const started = performance.now()
      const list = parseEmailList(garbage)
      expect(performance.now() - started).toBeLessThan(500)
      expect(list.emails).toEqual([])
      expect(list.invalid).toHaveLength(1)
      expect(list.invalid[0]?.reason).toBe('too_long')
      expect(list.invalid[0]?.input.length).toBeLessThan(200)
    }
  })
})

describe('names in a pasted list', () => {
  it('takes first and last names from display names, Outlook order included', () => {
    const { emails } = parseEmailList(
      'Grace Brewster Hopper <grace@example.com>\nHopper, Grace <g2@example.com>; "Ada" <ada@example.com>\nbare@example.com',
    )
    expect(
      emails.map(({ email, firstName, lastName }) => ({ email, firstName, lastName })),
    ).toEqual([
      { email: 'grace@example.com', firstName: 'Grace', lastName: 'Brewster Hopper' },
      { email: 'g2@example.com', firstName: 'Grace', lastName: 'Hopper' },
      { email: 'ada@example.com', firstName: 'Ada', lastName: undefined },
      { email: 'bare@example.com', firstName: undefined, lastName: undefined },
    ])
  })
})

// Issue 11: "lines pasted from a spreadsheet (First, Last, email) are reported invalid cell by cell".
describe('rows pasted from a spreadsheet', () => {
  it('reads First, Last, email rows (commas or tabs) as names and an address, skipping the header', () => {
    const list = parseEmailList(
      'First name\tLast name\tEmail\nAda\tLovelace\tada@example.com\nGrace, Hopper, grace@example.com',
    )
    expect(list.invalid).toEqual([])
    expect(
      list.emails.map(({ email, firstName, lastName, line }) => ({
        email,
        firstName,
        lastName,
        line,
      })),
    ).toEqual([
      { email: 'ada@example.com', firstName: 'Ada', lastName: 'Lovelace', line: 2 },
      { email: 'grace@example.com', firstName: 'Grace', lastName: 'Hopper', line: 3 },
    ])
  })

  it('reports each wrong cell with its line, column and reason', () => {
    const list = parseEmailList(
      [
        'Ada\tLovelace\tada@example',
        'Grace\tHopper\tgrace.example.com\tgrace@example.com',
        `Alan\t${'T'.repeat(101)}\talan@example.com`,
        'Edsger\tW\tDijkstra\tedsger@example.com',
        'Barbara, Liskov',
      ].join('\n'),
    )
    expect(list.invalid).toEqual([
      { input: 'ada@example', line: 1, column: 3, reason: 'invalid_domain' },
      { input: 'grace.example.com', line: 2, column: 3, reason: 'missing_at' },
      { input: `${'T'.repeat(100)}…`, line: 3, column: 2, reason: 'name_too_long' },
      { input: 'Dijkstra', line: 4, column: 3, reason: 'extra_name_cell' },
      { input: 'Barbara, Liskov', line: 5, reason: 'no_address_cell' },
    ])
    // The address of a row with a bad name cell is still invited.
    expect(list.emails.map((e) => e.email)).toEqual([
      'grace@example.com',
      'alan@example.com',
      'edsger@example.com',
    ])
  })

  it('keeps lists of addresses and Outlook names as they were', () => {
    const list = parseEmailList(
      'a@example.com, b@example.com\tc@example.com\nDoe, John <john@example.com>',
    )
    expect(list.emails.map((e) => e.email)).toEqual([
      'a@example.com',
      'b@example.com',
      'c@example.com',
      'john@example.com',
    ])
    expect(list.invalid).toEqual([])
  })
})
