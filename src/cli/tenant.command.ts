import { tenantJson, tenantSummaryJson } from '../tenants/tenant-json.js'
import { createTenant, getTenant, listDirectories, listTenants } from '../tenants/tenants.js'
import { type CommandContext, parseCommand, UsageError } from './main.js'

export async function tenantCommand(args: string[], ctx: CommandContext): Promise<number> {
  const [sub, ...rest] = args
  if (sub === 'create') return create(rest, ctx)
  if (sub === 'list') return list(rest, ctx)
  if (sub === 'show') return show(rest, ctx)
  throw new UsageError(
    sub ? `unknown tenant command "${sub}"` : 'tenant needs a command: create, list or show',
  )
}

async function create(args: string[], { config, db, io }: CommandContext): Promise<number> {
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
