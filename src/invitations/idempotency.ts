import { createHash } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Db } from '../db/database.js'
import { AppError } from '../errors.js'
import * as store from './idempotency.store.js'

export { deleteExpiredIdempotencyKeys } from './idempotency.store.js'
export type Answer = store.Answer

// An Idempotency-Key header (draft-ietf-httpapi-idempotency-key-header) makes a double-submitted
// request answer the first result instead of doing the work again: ten clicks, one batch of mail.
export const KEY_TTL_MS = 24 * 3_600_000
const KEY = /^[\x21-\x7e]{1,255}$/ // visible ASCII
const WAIT_STEP_MS = 100
const WAIT_STEPS = 300 // a copy waits up to 30 s for the first request's answer, then 409

/**
 * Runs `work` once per (tenant, key): the first request claims the key, copies wait for its
 * answer and get the same one. The same key with another body is refused (422). A request that
 * fails frees its key, so a retry does the work.
 */
export async function once(
  db: Db,
  input: { tenantId: string; key: string | undefined; request: unknown; now?: Date },
  work: () => Promise<Answer>,
): Promise<Answer> {
  if (input.key === undefined) return work()
  if (!KEY.test(input.key))
    throw new AppError(
      'invalid_request',
      'The Idempotency-Key header must be 1 to 255 visible ASCII characters.',
    )
  const now = input.now ?? new Date()
  const hash = createHash('sha256')
    .update(JSON.stringify(input.request ?? null))
    .digest()
  const scope = { tenantId: input.tenantId, key: input.key }
  const expiresAt = new Date(now.getTime() + KEY_TTL_MS)
  if (!(await store.claimKey(db, scope, hash, expiresAt, now))) return answerOf(db, scope, hash)
  try {
    const answer = await work()
    await store.saveAnswer(db, scope, answer)
    return answer
  } catch (err) {
    await store.releaseKey(db, scope)
    throw err
  }
}

/** The first request's answer; while it still runs, wait for it. */
async function answerOf(
  db: Db,
  scope: { tenantId: string; key: string },
  hash: Uint8Array,
): Promise<Answer> {
  for (let step = 0; step < WAIT_STEPS; step++) {
    const row = await store.findKey(db, scope)
    // Gone: the first request failed and freed the key. The client sends it again.
    if (!row) break
    if (!Buffer.from(row.request_hash).equals(Buffer.from(hash)))
      throw new AppError(
        'idempotency_key_reused',
        'This Idempotency-Key was used for a different request. Use a new key for a new request.',
      )
    if (row.response) return row.response
    await sleep(WAIT_STEP_MS)
  }
  throw new AppError(
    'conflict',
    'A request with this Idempotency-Key is still running or failed; try again.',
  )
}
