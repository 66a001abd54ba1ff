import type * as z from 'zod'
import { AppError } from '../errors.js'

// Keyset pages hand out an opaque cursor: the last row's sort key, as base64url JSON that the
// next request gives back. What comes back is parsed with the list's own schema, never trusted.

/** A timestamptz as PostgreSQL prints it (`at::text`): the cursor keeps its microseconds. */
export const PG_TIMESTAMPTZ_TEXT =
  /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{1,6})?[+-]\d\d(:\d\d){0,2}$/

export function pageCursor<S extends z.ZodType>(schema: S) {
  /** The cursor's value, or undefined for anything this list did not hand out. */
  const read = (cursor: string): z.output<S> | undefined => {
    try {
      const parsed = schema.safeParse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')))
      return parsed.success ? parsed.data : undefined
    } catch {
      return undefined
    }
  }
  const encode = (value: z.input<S>) => Buffer.from(JSON.stringify(value)).toString('base64url')
  return {
    encode,
    read,
    /**
     * A page of `limit` from `rows` (read as `limit + 1`, so that one more row says a page
     * follows), and the cursor of the next page (its last row's key), or null.
     */
    page<R>(rows: R[], limit: number, keyOf: (last: R) => z.input<S>) {
      const page = rows.slice(0, limit)
      const last = page.at(-1)
      return {
        page,
        nextCursor: rows.length > limit && last !== undefined ? encode(keyOf(last)) : null,
      }
    },
    /** The cursor's value; 400 naming the field for anything else. */
    decode(cursor: string): z.output<S> {
      const value = read(cursor)
      if (value === undefined)
        throw new AppError('invalid_request', 'The cursor is not one this API returned.', {
          details: { fields: { cursor: ['invalid cursor'] } },
        })
      return value
    },
  }
}
