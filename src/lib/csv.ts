import { Readable } from 'node:stream'

// A small streaming CSV writer: RFC 4180 quoting, ',' or ';' (the separator of Excel in locales
// whose decimal mark is a comma), an optional UTF-8 BOM (how Excel knows the file is UTF-8),
// CRLF line ends, and cells neutralised against formula injection.

export type CsvSeparator = ',' | ';'
export type CsvCell = string | number | boolean | null | undefined
export type CsvOptions = { separator?: CsvSeparator; bom?: boolean }

export const UTF8_BOM = '\uFEFF'

// OWASP "CSV Injection" (ASVS 5.0 1.2.10): a spreadsheet runs a cell starting with one of these
// as a formula (=HYPERLINK(…), +cmd|…, -2+3, @SUM(…); a tab or CR before one is skipped by some).
// A leading apostrophe makes it text. A cell that already starts with apostrophes before such a
// character gets one more, so restoreNeutralised can undo exactly what was added (a round trip
// through export and import keeps "'=x" as "'=x").
const FORMULA_START = /^'*[=+\-@\t\r]/

export function neutraliseFormula(text: string): string {
  return FORMULA_START.test(text) ? `'${text}` : text
}

/** The cell as it was before neutraliseFormula (for a reader of our own exports). */
export function restoreNeutralised(text: string): string {
  return /^'+[=+\-@\t\r]/.test(text) ? text.slice(1) : text
}

/** One cell: neutralised, then quoted when it holds the separator, a quote, CR or LF. */
export function csvCell(value: CsvCell, separator: CsvSeparator = ','): string {
  if (value === null || value === undefined) return ''
  const text = neutraliseFormula(String(value))
  const mustQuote = text.includes(separator) || /["\r\n]/.test(text)
  return mustQuote ? `"${text.replaceAll('"', '""')}"` : text
}

/** One record with its CRLF (RFC 4180 §2.1). */
export function csvRow(cells: readonly CsvCell[], separator: CsvSeparator = ','): string {
  return `${cells.map((c) => csvCell(c, separator)).join(separator)}\r\n`
}

/**
 * The header and the rows as a byte stream. `rows` is read as the stream is: a slow client holds
 * back the next database page (backpressure), and a client that goes away ends the iteration.
 * Rows come in batches so one chunk carries many lines.
 */
export function csvStream(
  header: readonly string[],
  batches: AsyncIterable<readonly (readonly CsvCell[])[]>,
  options: CsvOptions = {},
): Readable {
  const separator = options.separator ?? ','
  async function* lines() {
    yield `${options.bom ? UTF8_BOM : ''}${csvRow(header, separator)}`
    for await (const batch of batches) {
      if (batch.length > 0) yield batch.map((row) => csvRow(row, separator)).join('')
    }
  }
  return Readable.from(lines(), { objectMode: false })
}
