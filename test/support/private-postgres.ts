import { execFile } from 'node:child_process'
import { chownSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { freePort } from './process.js'

const run = promisify(execFile)

/**
 * A PostgreSQL cluster of the test's own, in a temporary directory on a free port, so that a
 * test may stop and start it (the shared server on 5432 is never touched). Debian's binaries;
 * initdb refuses root, so as root every command runs as the `postgres` user, who owns the dir.
 */
export type PrivatePostgres = {
  url: string
  port: number
  /** `pg_ctl stop -m fast`: connections are cut, as a failover or a restart does. */
  stop: () => Promise<void>
  start: () => Promise<void>
  /** Stops the cluster and removes its directory. */
  destroy: () => Promise<void>
  log: () => Promise<string>
}

function binDir(): string {
  const versions = readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a))
  if (versions.length === 0) throw new Error('no PostgreSQL binaries in /usr/lib/postgresql')
  return `/usr/lib/postgresql/${versions[0]}/bin`
}

const asRoot = process.getuid?.() === 0
const pg = (bin: string, args: string[]) =>
  asRoot
    ? run('runuser', ['-u', 'postgres', '--', join(binDir(), bin), ...args])
    : run(join(binDir(), bin), args)

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'gateway-private-pg-'))
  if (asRoot) {
    const { stdout } = await run('id', ['-u', 'postgres'])
    const { stdout: gid } = await run('id', ['-g', 'postgres'])
    chownSync(dir, Number(stdout), Number(gid))
  }
  const data = join(dir, 'data')
  const logFile = join(dir, 'log')
  await pg('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync'])
  const port = await freePort()
  // Durability is not what these tests are about; fsync off keeps them fast on a busy disk.
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100`
  const start = async () => {
    await pg('pg_ctl', ['-D', data, '-l', logFile, '-o', options, '-w', '-t', '120', 'start'])
  }
  const stop = async () => {
    await pg('pg_ctl', ['-D', data, '-m', 'fast', '-w', '-t', '120', 'stop'])
  }
  await start()
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    stop,
    start,
    destroy: async () => {
      await stop().catch(() => {})
      rmSync(dir, { recursive: true, force: true })
    },
    log: async () => (await run('cat', [logFile])).stdout,
  }
}
