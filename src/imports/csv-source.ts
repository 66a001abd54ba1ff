import { createReadStream, createWriteStream } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable, Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { CsvError, parse } from 'csv-parse'
import { AppError } from '../errors.js'

// The upload as CSV records, read as it arrives: never the whole file in memory. The bytes
// are counted on the way in, so an upload over the limit stops the moment it crosses it.

export const MAX_IMPORT_BYTES = 50 * 1024 * 1024
const HEAD_BYTES = 64 * 1024
const MAX_FIELD_BYTES = 64 * 1024

export type CsvRecord = { line: number; cells: string[] }
export type CsvProblem = { line: number; reason: string }
export type CsvSource = {
  delimiter: ',' | ';'
  header: string[]
  /** The records after the header; a record the parser cannot read ends it with `problem`. */
  records: AsyncIterable<CsvRecord | { problem: CsvProblem }>
}

export const tooLarge = (maxBytes: number) =>
  new AppError(
    'payload_too_large',
    `The file is larger than the import limit of ${Math.floor(maxBytes / 1024 / 1024)} MB: split it into several files.`,
    { details: { maxBytes } },
  )
const notCsv = (why: string) =>
  new AppError('invalid_request', `This file is not a CSV file: ${why}.`, {
    details: { fields: { file: [why] }, form: [] },
  })

/**
 * The upload written to a file of its own as fast as it arrives, counted on the way (refused
 * the moment it crosses `maxBytes`), then read back for staging. Staging a large file takes
 * longer than the server allows for receiving a request body (SLOW_CLIENT_LIMITS): read at the
 * pace of the database, a 100,000-row upload on a busy machine was cut off half-way.
 */
export async function spoolUpload(source: AsyncIterable<Buffer | string>, maxBytes: number) {
  const dir = await mkdtemp(join(tmpdir(), 'gateway-import-'))
  const remove = () => rm(dir, { recursive: true, force: true })
  const path = join(dir, 'upload.csv')
  let bytes = 0
  const count = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      bytes += chunk.length
      done(bytes > maxBytes ? tooLarge(maxBytes) : null, chunk)
    },
  })
  try {
    await pipeline(Readable.from(source), count, createWriteStream(path, { mode: 0o600 }))
  } catch (error) {
    await remove()
    throw error
  }
  return { source: createReadStream(path), remove }
}

/** `;` when the header line holds more of them than commas (Excel in much of Europe). */
export function detectDelimiter(headerLine: string): ',' | ';' {
  const outsideQuotes = headerLine.replace(/"[^"]*"/g, '')
  const count = (c: string) => outsideQuotes.split(c).length - 1
  return count(';') > count(',') ? ';' : ','
}

export async function openCsv(
  source: AsyncIterable<Buffer | string>,
  maxBytes = MAX_IMPORT_BYTES,
): Promise<CsvSource> {
  const it = source[Symbol.asyncIterator]()
  let bytes = 0
  const next = async () => {
    const r = await it.next()
    if (r.done) return undefined
    const chunk = typeof r.value === 'string' ? Buffer.from(r.value) : r.value
    bytes += chunk.length
    if (bytes > maxBytes) throw tooLarge(maxBytes)
    return chunk
  }
  const head: Buffer[] = []
  let headSize = 0
  while (headSize < HEAD_BYTES) {
    const chunk = await next()
    if (!chunk) break
    head.push(chunk)
    headSize += chunk.length
    if (chunk.includes(0x0a)) break
  }
  const start = Buffer.concat(head)
  if (start.length === 0) throw notCsv('it is empty')
  // Text never holds NUL bytes; images, archives and spreadsheets (xlsx is a zip) do.
  if (start.subarray(0, 8192).includes(0))
    throw notCsv('it holds binary data (a spreadsheet or an archive?); save it as CSV')
  const text = start.toString('utf8').replace(/^\uFEFF/, '')
  const firstLine = text.split(/\r?\n/)[0] ?? ''
  if (text.includes('\uFFFD')) throw notCsv('it is not UTF-8 text; save it as "CSV UTF-8"')
  const delimiter = detectDelimiter(firstLine)

  const parser = parse({
    bom: true,
    delimiter,
    info: true,
    relax_column_count: true,
    relax_quotes: true,
    skip_empty_lines: true,
    max_record_size: MAX_FIELD_BYTES,
  })
  async function* body() {
    yield start
    for (let chunk = await next(); chunk; chunk = await next()) yield chunk
  }
  const feeding = pipeline(Readable.from(body()), parser)
  feeding.catch(() => {}) // its error reaches the records' iterator through the parser
  const iterator = (parser as AsyncIterable<Parsed>)[Symbol.asyncIterator]()

  const lines = { end: 0, empty: 0 }
  const first = await readOne(iterator, lines)
  if (!first || 'problem' in first) throw notCsv('its first line is not a header row')
  return {
    delimiter,
    header: first.cells,
    records: (async function* () {
      for (;;) {
        const r = await readOne(iterator, lines)
        if (!r) return
        yield r
        if ('problem' in r) return
      }
    })(),
  }
}

type Parsed = { record: string[]; info: { lines: number; empty_lines: number } }
const BREAKS = /\r\n|\r|\n/g
async function readOne(
  iterator: AsyncIterator<Parsed>,
  lines: { end: number; empty: number },
): Promise<CsvRecord | { problem: CsvProblem } | undefined> {
  try {
    const r = await iterator.next()
    if (r.done) return undefined
    const { record, info } = r.value
    // The file's own line numbers: csv-parse counts a CRLF inside quotes as two lines, so the
    // record starts after the previous one (and the empty lines it skipped) and spans the
    // breaks its quoted fields hold.
    const line = lines.end + 1 + (info.empty_lines - lines.empty)
    const inner = record.reduce((n, cell) => n + (cell.match(BREAKS)?.length ?? 0), 0)
    lines.end = line + inner
    lines.empty = info.empty_lines
    return { line, cells: record }
  } catch (error) {
    if (error instanceof CsvError)
      return { problem: { line: lines.end + 1, reason: csvReason(error) } }
    throw error
  }
}

function csvReason(error: CsvError): string {
  if (error.code === 'CSV_QUOTE_NOT_CLOSED')
    return 'A quoted field is never closed: the file could not be read past this line.'
  if (error.code === 'CSV_MAX_RECORD_SIZE')
    return 'A field is too long: the file could not be read past this line.'
  return `The file could not be read past this line (${error.message}).`
}
