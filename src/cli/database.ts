import { existsSync } from 'node:fs'
import type { Config } from '../config.js'
import { createDb, type OpenDb } from '../db/database.js'
import { DataDirInUse } from '../db/pglite-lock.js'
import { sharedDatabaseUrl, socketPathOf } from '../db/pglite-share.js'

/**
 * The database a command works on: PostgreSQL (DATABASE_URL), the embedded one, or, while a
 * gateway runs on the embedded one, that server's database through its socket in DATA_DIR
 * (db/pglite-share.ts). `shared`: the server has migrated it and owns its upgrades.
 */
export function openDatabase(config: Config): OpenDb & { shared: boolean } {
  try {
    return { ...createDb(config.databaseUrl, config.dataDir), shared: false }
  } catch (error) {
    if (!(error instanceof DataDirInUse)) throw error
    if (!existsSync(socketPathOf(config.dataDir)))
      throw new Error(
        `${error.message} (A gateway shares its database with commands once it has started: try again in a moment.)`,
      )
    return { ...createDb(sharedDatabaseUrl(config.dataDir), config.dataDir), shared: true }
  }
}
