import { openSync, readFileSync, rmSync, writeSync, closeSync } from 'node:fs'
import { join } from 'node:path'

/** The embedded database is open in another live process (a running `gateway serve`, say). */
export class DataDirInUse extends Error {
  override readonly name = 'DataDirInUse'
  readonly pid: number
  constructor(dataDir: string, pid: number) {
    super(
      `the embedded database in ${dataDir} is in use by process ${pid}. Stop it first, or set DATABASE_URL to share a PostgreSQL server.`,
    )
    this.pid = pid
  }
}

// PGlite is one process's database: a second process opening the same directory would corrupt
// it. A pid file turns that mistake into a clear message.
export function lockDataDir(dataDir: string): () => void {
  const path = join(dataDir, 'pglite.pid')
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx')
      writeSync(fd, String(process.pid))
      closeSync(fd)
      return () => rmSync(path, { force: true })
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      const pid = Number(readFileSync(path, 'utf8'))
      if (isAlive(pid)) throw new DataDirInUse(dataDir, pid)
      rmSync(path, { force: true }) // left behind by a process that died
    }
  }
  throw new Error(`could not lock ${path}`)
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return false
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}
