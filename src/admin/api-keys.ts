import * as z from 'zod'
import type { Db } from '../db/database.js'
import { AppError } from '../errors.js'
import { hashToken, newToken } from '../lib/tokens.js'
import * as queries from './api-keys.queries.js'

// A key is "gwk_" + 256 random bits; only its SHA-256 is stored and it is shown once.
const KEY_PATTERN = /^gwk_[A-Za-z0-9_-]{43}$/

export type Principal = { keyId: string; name: string; tenantId: string | null }

export async function createApiKey(db: Db, input: { tenantId: string | null; name: string }) {
  const name = z.string().trim().min(1).max(100).safeParse(input.name)
  if (!name.success)
    throw new AppError('invalid_request', 'An API key needs a name of 1 to 100 characters.')
  const secret = newToken()
  const key = `gwk_${secret}`
  const row = await queries.insertApiKey(db, {
    tenantId: input.tenantId,
    name: name.data,
    hash: hashToken(key),
    prefix: key.slice(0, 10),
  })
  return { ...row, key }
}

/** The principal a bearer key stands for; an unknown, malformed or revoked key is undefined. */
export async function authenticateApiKey(
  db: Db,
  key: string,
  now = new Date(),
): Promise<Principal | undefined> {
  if (!KEY_PATTERN.test(key)) return undefined
  const row = await queries.findLiveApiKey(db, hashToken(key))
  if (!row) return undefined
  await queries.touchApiKey(db, row.id, now)
  return { keyId: row.id, name: row.name, tenantId: row.tenant_id }
}

export async function revokeApiKey(db: Db, id: string, now = new Date()) {
  const revoked = z.uuid().safeParse(id).success
    ? await queries.revokeApiKey(db, id, now)
    : undefined
  if (!revoked) throw new AppError('not_found', `There is no live API key ${id}.`)
  return { id: revoked.id, name: revoked.name, tenantId: revoked.tenant_id }
}

export const listApiKeys = queries.listApiKeys
