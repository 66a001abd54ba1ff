import { recordCliChange } from '../http/admin-change.js'
import { createLog } from '../log.js'
import { resolveSecretKey } from '../secret-key.js'
import { getTenant } from '../tenants/tenants.js'
import { createApp, listApps } from '../tokens/apps.js'
import { checkSecretKey, rotateKeys } from '../tokens/keys.js'
import { type CommandContext, parseCommand, UsageError } from './main.js'

export async function appCommand(args: string[], ctx: CommandContext): Promise<number> {
  const [sub, ...rest] = args
  if (sub === 'create') return create(rest, ctx)
  if (sub === 'list') return list(rest, ctx)
  throw new UsageError(sub ? `unknown app command "${sub}"` : 'app needs a command: create or list')
}

const logOf = (ctx: CommandContext) => ctx.log ?? createLog(ctx.config.logLevel, process.stderr)

async function create(args: string[], ctx: CommandContext): Promise<number> {
  const { config, db, io } = ctx
  const { values, positionals } = parseCommand(args, {
    tenant: { type: 'string' },
    name: { type: 'string' },
    type: { type: 'string' },
    'redirect-uri': { type: 'string', multiple: true },
    'post-logout-redirect-uri': { type: 'string', multiple: true },
    product: { type: 'string' },
    'admin-api': { type: 'boolean' },
  })
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`)
  if (!values.tenant || !values.name || !values.type)
    throw new UsageError(
      'app create needs --tenant SLUG, --name NAME and --type web|native|spa|machine',
    )
  const tenant = await getTenant(db, values.tenant, config)
  const app = await createApp(db, tenant.id, {
    name: values.name,
    type: values.type as 'web',
    redirectUris: values['redirect-uri'] ?? [],
    postLogoutRedirectUris: values['post-logout-redirect-uri'] ?? [],
    ...(values.product && { product: values.product }),
    ...(values['admin-api'] && { adminApi: true }),
  })
  await recordCliChange(db, logOf(ctx), {
    tenant,
    action: 'app.created',
    subject: { kind: 'app', id: app.clientId, label: app.name },
  })
  io.out(`client_id     ${app.clientId}`)
  if (app.clientSecret) io.out(`client_secret ${app.clientSecret}`)
  io.out(`issuer        ${tenant.publicUrl}`)
  if (app.adminApi) io.out('scope         gateway:admin (client credentials: the admin API)')
  io.err(
    app.clientSecret
      ? `created ${app.type} app "${app.name}"; the secret is shown once: store it now`
      : `created ${app.type} app "${app.name}" (public: it proves itself with PKCE, no secret)`,
  )
  return 0
}

async function list(args: string[], { config, db, io }: CommandContext): Promise<number> {
  const { values, positionals } = parseCommand(args, {
    tenant: { type: 'string' },
    json: { type: 'boolean' },
  })
  if (positionals.length > 0 || !values.tenant) throw new UsageError('app list needs --tenant SLUG')
  const tenant = await getTenant(db, values.tenant, config)
  const apps = await listApps(db, tenant.id)
  if (values.json) io.out(JSON.stringify(apps, null, 2))
  else
    for (const a of apps)
      io.out(`${a.clientId}  ${a.type.padEnd(8)} ${a.name}  ${a.redirectUris.join(' ')}`)
  return 0
}

export async function keysCommand(args: string[], ctx: CommandContext): Promise<number> {
  const { config, db, io } = ctx
  const [sub, ...rest] = args
  if (sub !== 'rotate')
    throw new UsageError(sub ? `unknown keys command "${sub}"` : 'keys needs a command: rotate')
  const { values, positionals } = parseCommand(rest, { tenant: { type: 'string' } })
  if (positionals.length > 0 || !values.tenant)
    throw new UsageError('keys rotate needs --tenant SLUG')
  const tenant = await getTenant(db, values.tenant, config)
  const secretKey = resolveSecretKey(config.secretKey, config.dataDir, createLog('warn'))
  // A new key sealed with another SECRET_KEY would leave keys no single process can open.
  const secret = await checkSecretKey(db, secretKey)
  if (!secret.ok) {
    io.err(`gateway: ${secret.reason}`)
    return 1
  }
  const rotated = await db.transaction().execute(async (tx) => {
    const kids = await rotateKeys(tx, tenant, secretKey)
    await recordCliChange(tx, logOf(ctx), {
      tenant,
      action: 'signing_key.rotated',
      subject: { kind: 'signing_key', id: kids.activeKid },
      details: { active: kids.activeKid, next: kids.nextKid },
    })
    return kids
  })
  io.out(`signing with ${rotated.activeKid}; published next: ${rotated.nextKid}`)
  io.err('the previous key stays in the JWKS until every token it signed has expired')
  return 0
}
