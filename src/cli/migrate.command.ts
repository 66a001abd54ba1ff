import { migrateToLatest } from '../db/migrate.js'
import { type CommandContext, UsageError } from './main.js'

export async function migrateCommand(args: string[], { db, io }: CommandContext): Promise<number> {
  if (args.length > 0) throw new UsageError('migrate takes no arguments')
  const applied = await migrateToLatest(db)
  io.out(
    applied.length === 0
      ? 'database is up to date'
      : `applied ${applied.length} migration(s):\n  ${applied.join('\n  ')}`,
  )
  return 0
}
