import { buffer } from 'node:stream/consumers'
import { parse } from 'csv-parse/sync'
import { describe, expect, it } from 'vitest'
import {
  csvCell,
  csvRow,
  csvStream,
  neutraliseFormula,
  restoreNeutralised,
  UTF8_BOM,
} from '../../../src/lib/csv.js'

// src/lib/csv.ts: RFC 4180 quoting, the ';' and BOM options for Excel, and OWASP's CSV
// injection advice (ASVS 5.0 1.2.10): a cell a spreadsheet would run as a formula is text.

async function* batches<T>(...pages: T[][]) {
  for (const page of pages) yield page
}

describe('CSV writer', () => {
  it('quotes separators, quotes, CR and LF (RFC 4180), and only then', () => {
    expect(csvRow(['plain', 'a,b', 'say "hi"', 'two\nlines', 'cr\rhere', ''])).toBe(
      'plain,"a,b","say ""hi""","two\nlines","cr\rhere",\r\n',
    )
    expect(csvCell('a,b', ';')).toBe('a,b')
    expect(csvCell('a;b', ';')).toBe('"a;b"')
    expect(csvCell(null)).toBe('')
    expect(csvCell(true)).toBe('true')
  })

  it.each([
    '=HYPERLINK("http://evil.example","x")',
    '+cmd|/C calc!A0',
    '-2+3',
    '@SUM(A1:A2)',
    '\t=1',
    '\r=1',
  ])('neutralises the formula %j with a leading apostrophe', (formula) => {
    const cell = csvCell(formula)
    const read = (parse(`${cell}\r\n`) as string[][])[0]?.[0]
    expect(read).toBe(`'${formula}`)
    expect(restoreNeutralised(read!)).toBe(formula)
  })

  it('leaves harmless text alone and undoes exactly what it added', () => {
    for (const value of ['Ada', 'a=b', "O'Brien", "'quoted", 'x@example.com', ' =spaced'])
      expect(neutraliseFormula(value)).toBe(value)
    // An apostrophe already before a formula character gets one more, so the round trip is exact.
    expect(neutraliseFormula("'=1")).toBe("''=1")
    expect(restoreNeutralised("''=1")).toBe("'=1")
    expect(restoreNeutralised("'quoted")).toBe("'quoted")
  })

  it('streams the header and the rows, with a BOM and semicolons when asked', async () => {
    const rows = [
      ['Zoë', 'a;b', '=1+1'],
      ['Émile', 'line\nbreak', 'x'],
    ]
    // Bytes, not text(): a TextDecoder would drop the BOM this checks.
    const plainBytes = await buffer(
      csvStream(['name', 'note', 'f'], batches(rows.slice(0, 1), [], rows.slice(1))),
    )
    const plain = plainBytes.toString('utf8')
    expect(plain.startsWith(UTF8_BOM)).toBe(false)
    expect(plain).toBe('name,note,f\r\nZoë,a;b,\'=1+1\r\nÉmile,"line\nbreak",x\r\n')

    const excelBytes = await buffer(
      csvStream(['name', 'note', 'f'], batches(rows), { separator: ';', bom: true }),
    )
    expect([...excelBytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf])
    const excel = excelBytes.toString('utf8')
    expect(excel).toContain('Zoë;"a;b";\'=1+1\r\n')
    const read = parse(excel, { bom: true, delimiter: ';' }) as string[][]
    expect(read).toEqual([
      ['name', 'note', 'f'],
      ['Zoë', 'a;b', "'=1+1"],
      ['Émile', 'line\nbreak', 'x'],
    ])
  })
})
