import { inviteAdmin } from '../console/admins.js'
import { ensurePlatformTenant } from '../console/platform.js'
import { recordCliChange } from '../http/admin-change.js'
import { createLog } from '../log.js'
import { resolveSecretKey } from '../secret-key.js'
import { checkSecretKey } from '../tokens/keys.js'
import { getTenant } from '../tenants/tenants.js'
import { type CommandContext, parseCommand, UsageError } from './main.js'

/** `gateway admin create --email ADDRESS [--tenant SLUG]`: the platform's (or a store's) admin. */
export async function adminCommand(args: string[], ctx: CommandContext): Promise<number> {
  const [sub, ...rest] = args
  if (sub === 'create') return create(rest, ctx)
  throw new UsageError(sub ? `unknown admin command "${sub}"` : 'admin needs a command: create')
}

async function create(args: string[], ctx: CommandContext): Promise<number> {
  const { config, db, io } = ctx
  const { values, positionals } = parseCommand(args, {
    email: { type: 'string' },
    tenant: { type: 'string' },
  })
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`)
  if (!values.email) throw new UsageError('admin create needs --email ADDRESS')
  // The link is sealed in the outbox with SECRET_KEY: the key the gateway serving it uses.
  const secretKey = resolveSecretKey(config.secretKey, config.dataDir, createLog('warn'))
  const secret = await checkSecretKey(db, secretKey)
  if (!secret.ok) {
    io.err(`gateway: ${secret.reason}`)
    return 1
  }
  const platform = await ensurePlatformTenant(db, config)
  if (platform.warning) io.err(`warning: ${platform.warning}`)
  const tenant = values.tenant ? await getTenant(db, values.tenant, config) : platform.tenant
  const who = values.tenant ? `an admin of ${tenant.slug}` : 'a platform admin'
  const invited = await inviteAdmin(db, tenant, { email: values.email }, { secretKey })
  if (invited.status === 'already_member') {
    io.err(`${invited.email} is already a member of ${tenant.slug}; nothing sent`)
    return 1
  }
  await recordCliChange(db, ctx.log ?? createLog(config.logLevel, process.stderr), {
    tenant: { id: tenant.id, slug: tenant.slug },
    action: 'invitation.invited',
    subject: { kind: 'invitation', id: invited.email, label: invited.email },
    details: { role: 'admin' },
  })
  if (config.smtpUrl) {
    io.out(
      `invited ${invited.email} as ${who}: the invitation mail is queued (a running gateway sends it)`,
    )
    return 0
  }
  // Without SMTP nobody would ever read the mail: the link is the command's answer.
  io.out(invited.link)
  io.err(
    `invited ${invited.email} as ${who}; SMTP_URL is not set, so open the link above ` +
      `(single use, until ${invited.expiresAt}) to choose a password, then sign in at ${tenant.publicUrl}/admin`,
  )
  return 0
}
