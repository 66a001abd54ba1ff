import { randomBytes } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Log } from './log.js'

/**
 * SECRET_KEY encrypts signing keys and pending mail at rest. Outside production a missing key is
 * generated once and kept in DATA_DIR, so a trial survives restarts; production refuses to start
 * without one (config.ts), because a key on the container's disk is lost with the container.
 */
export function resolveSecretKey(
  configured: string | undefined,
  dataDir: string,
  log: Log,
): string {
  if (configured) return configured
  const path = join(dataDir, 'secret-key')
  try {
    return readFileSync(path, 'utf8').trim()
  } catch {
    mkdirSync(dataDir, { recursive: true })
    const key = randomBytes(48).toString('base64url')
    writeFileSync(path, `${key}\n`, { mode: 0o600, flag: 'wx' })
    log.warn(
      { path },
      'SECRET_KEY is not set: generated one and stored it in DATA_DIR (set SECRET_KEY in production)',
    )
    return key
  }
}
