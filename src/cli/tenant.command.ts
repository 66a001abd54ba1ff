import { tenantJson, tenantSummaryJson } from '../tenants/tenant-json.js'
import { recordCliChange } from '../http/admin-change.js'
import { createLog } from '../log.js'
import { AddHostInput, addTenantHost, removeTenantHost } from '../tenants/tenant-hosts.js'
import { createTenant, getTenant, listDirectories, listTenants } from '../tenants/tenants.js'
import { parse } from '../lib/validate.js'
import { type CommandContext, parseCommand, UsageError } from './main.js'

export async function tenantCommand(args: string[], ctx: CommandContext): Promise<number> {
  const [sub, ...rest] = args
  if (sub === 'create') return create(rest, ctx)
  if (sub === 'list') return list(rest, ctx)
  if (sub === 'show') return show(rest, ctx)
  if (sub === 'host') return host(rest, ctx)
  throw new UsageError(
    sub ? `unknown tenant command "${sub}"` : 'tenant needs a command: create, list, show or host',
  )
}

async function create(args: string[], ctx: CommandContext): Promise<number> {
  const { config, db, io } = ctx
  const { values, positionals } = parseCommand(args, {
    slug: { type: 'string' },
    name: { type: 'string' },
    host: { type: 'string', multiple: true },
    'share-directory-with': { type: 'string' },
  })
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`)
  const { slug, name, host: hosts = [], 'share-directory-with': shareDirectoryWith } = values
  if (!slug || !name) throw new UsageError('tenant create needs --slug and --name')
  const tenant = await db
    .transaction()
    .execute((tx) =>
      createTenant(
        tx,
        { slug, name, hosts, shareDirectoryWith, settings: config.tenantDefaults },
        config,
      ),
    )
  await recordCliChange(db, ctx.log ?? createLog(config.logLevel, process.stderr), {
    tenant,
    action: 'tenant.created',
    subject: { kind: 'tenant', id: tenant.id, label: tenant.slug },
  })
  io.out(`created tenant ${tenant.slug} at ${tenant.publicUrl}/`)
  return 0
}

async function list(args: string[], { config, db, io }: CommandContext): Promise<number> {
  const { values, positionals } = parseCommand(args, { json: { type: 'boolean' } })
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`)
  const tenants = await listTenants(db, config)
  if (values.json) io.out(JSON.stringify(tenants.map(tenantSummaryJson), null, 2))
  else if (tenants.length === 0)
    io.out('no tenants yet: gateway tenant create --slug SLUG --name NAME')
  else
    for (const t of tenants)
      io.out(
        `${t.slug.padEnd(20)} ${t.name.padEnd(30)} ${t.publicUrl}/${t.settingsProblem ? '  (invalid settings)' : ''}`,
      )
  return 0
}

async function show(args: string[], { config, db, io }: CommandContext): Promise<number> {
  const { values, positionals } = parseCommand(args, { json: { type: 'boolean' } })
  if (positionals.length !== 1) throw new UsageError('tenant show needs exactly one SLUG')
  const tenant = await getTenant(db, positionals[0] as string, config)
  const directories = await listDirectories(db, tenant.id)
  if (values.json) {
    io.out(JSON.stringify(tenantJson(tenant, directories), null, 2))
    return 0
  }
  io.out(`${tenant.name} (${tenant.slug})`)
  io.out(`  public URL   ${tenant.publicUrl}/`)
  io.out(
    `  hosts        ${[tenant.primaryHost, ...tenant.hosts.filter((h) => h !== tenant.primaryHost)].join(', ')}`,
  )
  io.out(`  directories  ${directories.map((d) => `${d.name} [${d.kind}]`).join(', ')}`)
  io.out(`  created      ${tenant.createdAt.toISOString()}`)
  io.out(`  settings     ${JSON.stringify(tenant.settings)}`)
  return 0
}

/** `tenant host add|remove SLUG HOST`: the tenant's hosts after its creation. */
async function host(args: string[], ctx: CommandContext): Promise<number> {
  const [action, ...rest] = args
  if (action !== 'add' && action !== 'remove')
    throw new UsageError('tenant host needs add or remove')
  const { values, positionals } = parseCommand(rest, { directory: { type: 'string' } })
  if (positionals.length !== 2)
    throw new UsageError(`tenant host ${action} needs a SLUG and a HOST`)
  if (action === 'remove' && values.directory)
    throw new UsageError('tenant host remove takes no --directory')
  const [slug, name] = positionals as [string, string]
  const { config, db, io } = ctx
  const tenant = await getTenant(db, slug, config)
  const { host: hostName, directory } = parse(AddHostInput, {
    host: name,
    directory: values.directory,
  })
  await db
    .transaction()
    .execute((tx) =>
      action === 'add'
        ? addTenantHost(tx, tenant, { host: hostName, directoryId: directory }, config.baseDomain)
        : removeTenantHost(tx, tenant, hostName, config.baseDomain),
    )
  const log = ctx.log ?? createLog(config.logLevel, process.stderr)
  await recordCliChange(db, log, {
    tenant,
    action: action === 'add' ? 'host.added' : 'host.removed',
    subject: { kind: 'host', id: hostName },
    ...(directory && { details: { directory } }),
  })
  io.out(
    action === 'add'
      ? `added host ${hostName} to ${slug}`
      : `removed host ${hostName} from ${slug}`,
  )
  return 0
}
