import { readFileSync } from 'node:fs'
import { recordCliChange } from '../http/admin-change.js'
import { createLog } from '../log.js'
import { resolveSecretKey } from '../secret-key.js'
import { createDirectory, deleteDirectory, rotateDirectorySpKey } from '../sso/directories-admin.js'
import { testDirectory } from '../sso/directories-checks.js'
import {
  type DirectoryJson,
  getDirectoryView,
  listDirectoryViews,
} from '../sso/directories-view.js'
import { ssoContextOf } from '../sso/connection.js'
import { getTenant } from '../tenants/tenants.js'
import { checkSecretKey } from '../tokens/keys.js'
import { type CommandContext, parseCommand, UsageError } from './main.js'

// `gateway directory …`: the admin API's directory calls for an operator at the server. A client
// secret is read from a file (or stdin with `-`), never from the command line, where `ps` and
// the shell's history would keep it.

export async function directoryCommand(args: string[], ctx: CommandContext): Promise<number> {
  const [sub, ...rest] = args
  if (sub === 'add') return add(rest, ctx)
  if (sub === 'list') return list(rest, ctx)
  if (sub === 'show') return show(rest, ctx)
  if (sub === 'test') return test(rest, ctx)
  if (sub === 'remove') return remove(rest, ctx)
  if (sub === 'rotate-sp-key') return rotateSpKey(rest, ctx)
  throw new UsageError(
    sub
      ? `unknown directory command "${sub}"`
      : 'directory needs a command: add, list, show, test, rotate-sp-key or remove',
  )
}

const logOf = (ctx: CommandContext) => ctx.log ?? createLog(ctx.config.logLevel, process.stderr)

async function add(args: string[], ctx: CommandContext): Promise<number> {
  const { values, positionals } = parseCommand(args, {
    tenant: { type: 'string' },
    kind: { type: 'string' },
    name: { type: 'string' },
    'metadata-file': { type: 'string' },
    'metadata-url': { type: 'string' },
    host: { type: 'string' },
    'email-domain': { type: 'string', multiple: true },
    'allow-idp-initiated': { type: 'boolean' },
    issuer: { type: 'string' },
    'client-id': { type: 'string' },
    'client-secret-file': { type: 'string' },
    'token-endpoint-auth-method': { type: 'string' },
    scope: { type: 'string', multiple: true },
  })
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`)
  const { tenant: slug, kind, name } = values
  if (!slug || !name || (kind !== 'saml' && kind !== 'oidc'))
    throw new UsageError('directory add needs --tenant SLUG, --kind saml|oidc and --name NAME')
  const common = {
    kind,
    name,
    ...(values.host && { host: values.host }),
    emailDomains: values['email-domain'] ?? [],
  }
  let body: object
  if (kind === 'saml') {
    const file = values['metadata-file']
    if (!file === !values['metadata-url'])
      throw new UsageError('directory add --kind saml needs --metadata-file F or --metadata-url U')
    body = {
      ...common,
      ...(file ? { metadataXml: readText(file) } : { metadataUrl: values['metadata-url'] }),
      allowIdpInitiated: values['allow-idp-initiated'] ?? false,
    }
  } else {
    const secretFile = values['client-secret-file']
    if (!values.issuer || !values['client-id'] || !secretFile)
      throw new UsageError(
        'directory add --kind oidc needs --issuer URL, --client-id ID and --client-secret-file FILE (- for stdin)',
      )
    body = {
      ...common,
      issuer: values.issuer,
      clientId: values['client-id'],
      clientSecret: readText(secretFile).replace(/\r?\n$/, ''),
      ...(values.scope && { scopes: values.scope }),
      ...(values['token-endpoint-auth-method'] && {
        tokenEndpointAuthMethod: values['token-endpoint-auth-method'],
      }),
    }
  }
  const sso = await contextOf(ctx)
  if (!sso) return 1
  const tenant = await getTenant(ctx.db, slug, ctx.config)
  const created = await createDirectory(sso, { tenant, body, urls: ctx.config })
  await recordCliChange(ctx.db, logOf(ctx), {
    tenant,
    action: 'directory.created',
    subject: { kind: 'directory', id: created.id, label: created.name },
  })
  ctx.io.err(`created ${kind === 'saml' ? 'SAML' : 'OpenID Connect'} directory "${name}"`)
  printSetup(ctx, created)
  return 0
}

function printSetup({ io }: CommandContext, d: DirectoryJson) {
  io.out(`id               ${d.id}`)
  if ('sp' in d && d.sp) {
    io.out('give the IdP (its SAML app for this store) these values:')
    io.out(`  SP entity ID     ${d.sp.entityId}`)
    io.out(`  ACS URL          ${d.sp.acsUrl}`)
    io.out(`  SP metadata URL  ${d.sp.metadataUrl}`)
    for (const url of d.sp.acsUrls.filter((u) => u !== d.sp.acsUrl))
      io.out(`  also an ACS URL  ${url}`)
  }
  if ('rp' in d && d.rp) {
    io.out('register these redirect URIs at the IdP:')
    for (const uri of d.rp.redirectUris) io.out(`  ${uri}`)
  }
}

async function list(args: string[], ctx: CommandContext): Promise<number> {
  const { values, positionals } = parseCommand(args, {
    tenant: { type: 'string' },
    json: { type: 'boolean' },
  })
  if (positionals.length > 0 || !values.tenant)
    throw new UsageError('directory list needs --tenant SLUG')
  const tenant = await getTenant(ctx.db, values.tenant, ctx.config)
  const directories = await listDirectoryViews(ctx.db, tenant)
  if (values.json) ctx.io.out(JSON.stringify(directories, null, 2))
  else if (directories.length === 0)
    ctx.io.out('no enterprise directories yet: gateway directory add')
  else
    for (const d of directories)
      ctx.io.out(
        `${d.id}  ${d.kind.padEnd(4)}  ${d.name}${d.host ? `  host ${d.host}` : ''}${'emailDomains' in d && d.emailDomains?.length ? `  domains ${d.emailDomains.join(', ')}` : ''}`,
      )
  return 0
}

async function show(args: string[], ctx: CommandContext): Promise<number> {
  const { values, positionals } = oneDirectory(args, 'show')
  const tenant = await getTenant(ctx.db, values.tenant as string, ctx.config)
  const d = await getDirectoryView(ctx.db, tenant, positionals[0] as string)
  if (values.json) {
    ctx.io.out(JSON.stringify(d, null, 2))
    return 0
  }
  ctx.io.out(`${d.name} [${d.kind}]${d.host ? ` on ${d.host}` : ''}`)
  if ('problem' in d && d.problem) ctx.io.out(`  problem: ${d.problem}`)
  if ('idp' in d && d.idp) {
    ctx.io.out(`IdP entity ID      ${d.idp.entityId}`)
    ctx.io.out(`IdP sign-on URL    ${d.idp.ssoUrl}`)
    if (d.metadataUrl) ctx.io.out(`metadata URL       ${d.metadataUrl} (refreshed daily)`)
    for (const c of d.idp.certificates)
      ctx.io.out(
        `IdP certificate    ${c.subject}, valid until ${c.notAfter}${c.expired ? ' (EXPIRED)' : ''}, SHA-256 ${c.fingerprintSha256}`,
      )
  }
  if ('issuer' in d && d.issuer) {
    ctx.io.out(`issuer             ${d.issuer}`)
    ctx.io.out(`client ID          ${d.clientId} (secret stored sealed, never shown)`)
  }
  printSetup(ctx, d)
  return 0
}

async function test(args: string[], ctx: CommandContext): Promise<number> {
  const { values, positionals } = oneDirectory(args, 'test')
  const sso = await contextOf(ctx)
  if (!sso) return 1
  const tenant = await getTenant(ctx.db, values.tenant as string, ctx.config)
  const result = await testDirectory(sso, { tenant, id: positionals[0] as string })
  if (values.json) ctx.io.out(JSON.stringify(result, null, 2))
  else
    for (const c of result.checks) ctx.io.out(`${c.ok ? 'ok  ' : 'FAIL'}  ${c.check}: ${c.message}`)
  return result.ok ? 0 : 1
}

async function remove(args: string[], ctx: CommandContext): Promise<number> {
  const { values, positionals } = oneDirectory(args, 'remove')
  const tenant = await getTenant(ctx.db, values.tenant as string, ctx.config)
  const input = { tenant, id: positionals[0] as string }
  const removed = await ctx.db.transaction().execute((tx) => deleteDirectory(tx, input))
  await recordCliChange(ctx.db, logOf(ctx), {
    tenant,
    action: 'directory.deleted',
    subject: { kind: 'directory', id: removed.id, label: removed.name },
  })
  ctx.io.out(`removed directory "${removed.name}", its hosts, and its people's memberships`)
  return 0
}

async function rotateSpKey(args: string[], ctx: CommandContext): Promise<number> {
  const { values, positionals } = oneDirectory(args, 'rotate-sp-key')
  const sso = await contextOf(ctx)
  if (!sso) return 1
  const tenant = await getTenant(ctx.db, values.tenant as string, ctx.config)
  const id = positionals[0] as string
  const rotated = await rotateDirectorySpKey(sso, { tenant, id })
  await recordCliChange(ctx.db, logOf(ctx), {
    tenant,
    action: `directory.sp_key.${rotated.step}`,
    subject: { kind: 'directory', id },
    details: { kid: rotated.kid },
  })
  if (values.json) ctx.io.out(JSON.stringify(rotated, null, 2))
  else
    ctx.io.out(
      rotated.step === 'staged'
        ? `staged SP key ${rotated.kid}: it is in the SP metadata now; once the IdP has read it, run rotate-sp-key again to sign with it`
        : `promoted SP key ${rotated.kid}: it signs from now on; the previous key stays in the metadata until it expires`,
    )
  return 0
}

function oneDirectory(args: string[], sub: string) {
  const parsed = parseCommand(args, { tenant: { type: 'string' }, json: { type: 'boolean' } })
  if (parsed.positionals.length !== 1 || !parsed.values.tenant)
    throw new UsageError(`directory ${sub} needs --tenant SLUG and exactly one directory ID`)
  return parsed
}

/** The SSO context with the SECRET_KEY the gateway's own sealed keys open with. */
async function contextOf(ctx: CommandContext) {
  const secretKey = resolveSecretKey(ctx.config.secretKey, ctx.config.dataDir, createLog('warn'))
  const secret = await checkSecretKey(ctx.db, secretKey)
  if (!secret.ok) {
    ctx.io.err(`gateway: ${secret.reason}`)
    return undefined
  }
  return ssoContextOf(ctx.db, { ...ctx.config, secretKey })
}

function readText(path: string): string {
  try {
    return readFileSync(path === '-' ? 0 : path, 'utf8')
  } catch (error) {
    throw new UsageError(`cannot read ${path}: ${(error as Error).message}`)
  }
}
