import { createApiKey, listApiKeys, revokeApiKey } from '../admin/api-keys.js'
import { recordCliChange } from '../http/admin-change.js'
import { createLog } from '../log.js'
import { getTenant } from '../tenants/tenants.js'
import { type CommandContext, parseCommand, UsageError } from './main.js'

export async function apiKeyCommand(args: string[], ctx: CommandContext): Promise<number> {
  const [sub, ...rest] = args
  if (sub === 'create') return create(rest, ctx)
  if (sub === 'list') return list(rest, ctx)
  if (sub === 'revoke') return revoke(rest, ctx)
  throw new UsageError(
    sub ? `unknown api-key command "${sub}"` : 'api-key needs a command: create, list or revoke',
  )
}

const logOf = (ctx: CommandContext) => ctx.log ?? createLog(ctx.config.logLevel, process.stderr)

async function create(args: string[], ctx: CommandContext): Promise<number> {
  const { config, db, io } = ctx
  const { values, positionals } = parseCommand(args, {
    tenant: { type: 'string' },
    platform: { type: 'boolean' },
    name: { type: 'string' },
  })
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`)
  if (!values.name || Boolean(values.tenant) === Boolean(values.platform)) {
    throw new UsageError(
      'api-key create needs --name and exactly one of --tenant SLUG or --platform',
    )
  }
  const tenant = values.tenant ? await getTenant(db, values.tenant, config) : null
  const key = await createApiKey(db, { tenantId: tenant?.id ?? null, name: values.name })
  await recordCliChange(db, logOf(ctx), {
    tenant,
    action: 'api_key.created',
    subject: { kind: 'api_key', id: key.id, label: key.name },
  })
  io.out(key.key)
  io.err(
    `created API key ${key.id} (${values.tenant ? `tenant ${values.tenant}` : 'platform'}); it is shown once: store it now`,
  )
  return 0
}

async function list(args: string[], { db, io }: CommandContext): Promise<number> {
  const { values } = parseCommand(args, { json: { type: 'boolean' } })
  const keys = await listApiKeys(db)
  if (values.json) io.out(JSON.stringify(keys, null, 2))
  else
    for (const k of keys)
      io.out(
        `${k.id}  ${k.prefix}…  ${(k.tenant ?? '(platform)').padEnd(20)} ${k.name}${k.revoked_at ? '  (revoked)' : ''}`,
      )
  return 0
}

async function revoke(args: string[], ctx: CommandContext): Promise<number> {
  const { db, io } = ctx
  const { positionals } = parseCommand(args, {})
  if (positionals.length !== 1) throw new UsageError('api-key revoke needs exactly one key ID')
  const revoked = await revokeApiKey(db, positionals[0] as string)
  await recordCliChange(db, logOf(ctx), {
    tenant: revoked.tenantId === null ? null : { id: revoked.tenantId },
    action: 'api_key.revoked',
    subject: { kind: 'api_key', id: revoked.id, label: revoked.name },
  })
  io.out(`revoked API key ${positionals[0]}`)
  return 0
}
