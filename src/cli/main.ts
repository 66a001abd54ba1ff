import { type ParseArgsConfig, parseArgs } from 'node:util'
import { ConfigError, loadConfig, type Config } from '../config.js'
import type { Db } from '../db/database.js'
import { migrateToLatest } from '../db/migrate.js'
import { describeDatabaseError, isDatabaseUnavailable } from '../db/errors.js'
import { AppError } from '../errors.js'
import type { Log } from '../log.js'
import { openDatabase } from './database.js'

export type Io = { out: (line: string) => void; err: (line: string) => void }
export type CommandContext = {
  config: Config
  db: Db
  io: Io
  /** Where changes are logged (admin_change lines); default: stderr at LOG_LEVEL. */
  log?: Log
}

export const USAGE = `usage: gateway <command>
  serve                                        start the gateway (the default of npm start)
  migrate                                      apply pending database migrations
  tenant create --slug SLUG --name NAME [--host HOST ...] [--share-directory-with SLUG]
  tenant list [--json]
  tenant show SLUG [--json]
  tenant host add SLUG HOST [--directory ID]    a host of the tenant (dedicated to a directory)
  tenant host remove SLUG HOST
  admin create --email ADDRESS [--tenant SLUG] invite a platform admin (or a tenant's admin);
                                               prints the link when SMTP_URL is not set
  api-key create --name NAME (--tenant SLUG | --platform)
  api-key list [--json]
  api-key revoke ID
  app create --tenant SLUG --name NAME --type web|native|spa|machine
             [--redirect-uri URI ...] [--post-logout-redirect-uri URI ...] [--product KEY]
  app list --tenant SLUG [--json]
  keys rotate --tenant SLUG                    publish a new signing key, sign with the next one
  directory add --tenant SLUG --kind saml --name NAME (--metadata-file FILE | --metadata-url URL)
             [--host HOST] [--email-domain DOMAIN ...] [--allow-idp-initiated]
  directory add --tenant SLUG --kind oidc --name NAME --issuer URL --client-id ID
             --client-secret-file FILE (- reads stdin) [--scope SCOPE ...]
             [--token-endpoint-auth-method client_secret_basic|client_secret_post]
             [--host HOST] [--email-domain DOMAIN ...]
  directory list --tenant SLUG [--json]
  directory show --tenant SLUG ID [--json]
  directory test --tenant SLUG ID [--json]     exit 1 when a check fails
  directory rotate-sp-key --tenant SLUG ID     SAML: publish a new SP key; run again to sign with it
  directory remove --tenant SLUG ID
  import --tenant SLUG FILE                    import people from a CSV file (progress, summary)`

export class UsageError extends Error {
  override readonly name = 'UsageError'
}

const stdio: Io = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
}

/** `gateway …`: returns the exit code (0 ok, 1 failed, 2 bad arguments). */
export async function main(
  argv: string[],
  io: Io = stdio,
  env?: NodeJS.ProcessEnv,
): Promise<number> {
  const [command] = argv
  if (!command || command === '--help' || command === 'help') {
    io[command ? 'out' : 'err'](USAGE)
    return command ? 0 : 2
  }
  if (
    ![
      'serve',
      'migrate',
      'tenant',
      'admin',
      'api-key',
      'app',
      'keys',
      'directory',
      'import',
    ].includes(command)
  )
    return usage(io, `unknown command "${command}"`)

  let config: Config
  try {
    config = loadConfig(env)
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    io.err(error.message)
    return 1
  }
  if (command === 'serve') {
    if (argv.length > 1) return usage(io, 'serve takes no arguments')
    // Loaded only here: the server's modules (every route, oidc-provider) cost a command seconds.
    const [{ serve }, { createLog }] = await Promise.all([
      import('../main.js'),
      import('../log.js'),
    ])
    return serve(config, createLog(config.logLevel)).then(
      () => 0,
      (error: Error) => fail(io, error.message),
    )
  }

  let opened
  try {
    opened = openDatabase(config)
  } catch (error) {
    return fail(io, (error as Error).message)
  }
  try {
    // A fresh database is brought up to date first, as `serve` does (idempotent, under a lock).
    // A running server shares its database only once it has migrated it.
    if (command !== 'migrate' && !opened.shared) await migrateToLatest(opened.db)
    return await runCommand(argv, { config, db: opened.db, io })
  } catch (error) {
    if (isDatabaseUnavailable(error))
      return fail(io, `cannot reach the database: ${describeDatabaseError(error)}`)
    return fail(
      io,
      `unexpected error: ${(error as Error).message} (run with LOG_LEVEL=debug for details)`,
      error,
      config.logLevel,
    )
  } finally {
    await opened.close()
  }
}

/** Every command but `serve`, against an open database: the tests call this directly. */
export async function runCommand(argv: string[], ctx: CommandContext): Promise<number> {
  try {
    const command = await commandNamed(argv[0])
    if (!command) throw new UsageError(`unknown command "${argv[0]}"`)
    return await command(argv.slice(1), ctx)
  } catch (error) {
    if (error instanceof UsageError) return usage(ctx.io, error.message)
    if (error instanceof AppError) {
      ctx.io.err(`error: ${error.message}${detailLines(error.details)}`)
      return error.code === 'invalid_request' ? 2 : 1
    }
    if (isDatabaseUnavailable(error))
      return fail(ctx.io, `cannot reach the database: ${describeDatabaseError(error)}`)
    throw error
  }
}

type Command = (args: string[], ctx: CommandContext) => Promise<number>

// Each command loads only its own modules: a command is a short process, and loading every
// feature (SAML, the CSV import, oidc-provider's helpers) would double its time.
async function commandNamed(name: string | undefined): Promise<Command | undefined> {
  if (name === 'migrate') return (await import('./migrate.command.js')).migrateCommand
  if (name === 'tenant') return (await import('./tenant.command.js')).tenantCommand
  if (name === 'admin') return (await import('./admin.command.js')).adminCommand
  if (name === 'api-key') return (await import('./api-key.command.js')).apiKeyCommand
  if (name === 'app') return (await import('./app.command.js')).appCommand
  if (name === 'keys') return (await import('./app.command.js')).keysCommand
  if (name === 'directory') return (await import('./directory.command.js')).directoryCommand
  if (name === 'import') return (await import('./import.command.js')).importCommand
  return undefined
}

/** parseArgs with our usage errors instead of its exceptions. */
type Options = NonNullable<ParseArgsConfig['options']>
type Strict<T extends Options> = { args: string[]; options: T; allowPositionals: true; strict: true }
// Named, so the build's declarations can spell it.
type Parsed<T extends Options> = ReturnType<typeof parseArgs<Strict<T>>>
export function parseCommand<T extends Options>(args: string[], options: T): Parsed<T> {
  try {
    return parseArgs<Strict<T>>({
      args,
      options,
      allowPositionals: true,
      strict: true,
    })
  } catch (error) {
    throw new UsageError((error as Error).message)
  }
}

function usage(io: Io, message: string): number {
  io.err(`gateway: ${message}`)
  io.err(USAGE)
  return 2
}

function fail(io: Io, message: string, error?: unknown, logLevel?: string): number {
  io.err(`gateway: ${message}`)
  if (error && (logLevel === 'debug' || logLevel === 'trace'))
    io.err(String((error as Error).stack))
  return 1
}

function detailLines(details: unknown): string {
  const fields = (details as { fields?: Record<string, string[]> } | undefined)?.fields
  if (!fields) return ''
  return Object.entries(fields)
    .map(([field, messages]) => `\n  ${field}: ${messages.join('; ')}`)
    .join('')
}
