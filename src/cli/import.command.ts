import { createReadStream } from 'node:fs'
import { basename } from 'node:path'
import { recordCliChange } from '../http/admin-change.js'
import { getImport, receiveImport, runImports } from '../imports/imports.js'
import { createLog } from '../log.js'
import { resolveSecretKey } from '../secret-key.js'
import { checkSecretKey } from '../tokens/keys.js'
import { getTenant } from '../tenants/tenants.js'
import { type CommandContext, parseCommand, UsageError } from './main.js'

/**
 * `gateway import --tenant SLUG FILE`: the file streamed into the import the admin API runs,
 * applied here (with any gateway process helping), a bar on a terminal and lines otherwise.
 */
export async function importCommand(
  args: string[],
  ctx: CommandContext & { isTty?: boolean; write?: (s: string) => void },
): Promise<number> {
  const { config, db, io } = ctx
  const { values, positionals } = parseCommand(args, { tenant: { type: 'string' } })
  if (!values.tenant || positionals.length !== 1)
    throw new UsageError('import needs --tenant SLUG and one FILE')
  const file = positionals[0]!
  const tenant = await getTenant(db, values.tenant, config)
  const log = ctx.log ?? createLog(config.logLevel, process.stderr)
  // The invitation links are sealed in the outbox with SECRET_KEY: the key the gateway uses.
  const secretKey = resolveSecretKey(config.secretKey, config.dataDir, log)
  const secret = await checkSecretKey(db, secretKey)
  if (!secret.ok) {
    io.err(`gateway: ${secret.reason}`)
    return 1
  }
  const accepted = await receiveImport(db, tenant, {
    source: createReadStream(file),
    fileName: basename(file),
    actor: { audit: { kind: 'cli' }, member: { isPlatform: true } },
  })
  await recordCliChange(db, log, {
    tenant,
    action: 'import.started',
    subject: { kind: 'import', id: accepted.id, label: basename(file) },
    details: { rows: accepted.rows },
  })
  io.out(`import ${accepted.id}: ${accepted.rows} rows read from ${basename(file)}`)
  for (const w of accepted.warnings) io.out(`warning: ${w}`)

  const tty = ctx.isTty ?? process.stdout.isTTY === true
  const write = ctx.write ?? ((s: string) => process.stdout.write(s))
  let lastLine = -1
  const show = (done: number, total: number) => {
    const share = total ? done / total : 1
    if (tty) {
      const width = 30
      const bar = '#'.repeat(Math.round(share * width)).padEnd(width, '.')
      write(`\r[${bar}] ${done}/${total} rows (${Math.round(share * 100)} %)`)
    } else if (Math.floor(share * 10) > lastLine) {
      lastLine = Math.floor(share * 10)
      io.out(`${done}/${total} rows applied`)
    }
  }
  // Apply until this import is done: a gateway process may take chunks of it too.
  for (;;) {
    await runImports(db, {
      secretKey,
      urls: config,
      log,
      onProgress: (p) => p.importId === accepted.id && show(p.done, p.total),
    })
    const view = await getImport(db, tenant, accepted.id)
    if (view.state === 'done' || view.state === 'failed') {
      show(view.rows.done, view.rows.total)
      if (tty) write('\n')
      const counts = Object.entries(view.counts ?? {})
        .map(([k, n]) => `${k} ${n}`)
        .join(', ')
      io.out(`import ${view.state}: ${counts}`)
      io.out(`report: ${tenant.publicUrl}${view.links.report} (admin API)`)
      return view.state === 'done' ? 0 : 1
    }
    await new Promise((r) => setTimeout(r, 500))
  }
}
