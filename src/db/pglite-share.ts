import { chmodSync, lstatSync, mkdirSync, rmSync } from 'node:fs'
import { createServer, type Server, type Socket } from 'node:net'
import { join } from 'node:path'
import type { PGlite } from '@electric-sql/pglite'
import { PGLiteSocketHandler } from '@electric-sql/pglite-socket'
import type { Db } from './database.js'

/**
 * `gateway` commands reach the embedded database of a running server over a Unix socket in
 * DATA_DIR: PGlite is one process's database (pglite-lock.ts), so the server that holds it
 * serves the PostgreSQL protocol to its owner's other processes. Only the owner can connect:
 * the socket sits in a 0700 directory and is itself 0600, as PostgreSQL's peer-authenticated
 * socket would be; there is no password to steal and no TCP port to reach.
 */
export const socketDirOf = (dataDir: string) => join(dataDir, 'run')
// pg (like libpq) names the socket of `host=DIR` `DIR/.s.PGSQL.<port>`.
const SOCKET_FILE = '.s.PGSQL.5432'
export const socketPathOf = (dataDir: string) => join(socketDirOf(dataDir), SOCKET_FILE)
/** The connection string of the shared database (pg's `host` parameter names the directory). */
export const sharedDatabaseUrl = (dataDir: string) =>
  `postgres://postgres@localhost/postgres?host=${encodeURIComponent(socketDirOf(dataDir))}`

// sun_path holds 108 bytes on Linux, 104 on macOS: longer paths cannot be bound.
const MAX_SOCKET_PATH = 103
// A command that leaves a transaction open (or stops mid-statement) holds the database from the
// server's own requests: it is cut off after this long without a message.
const IDLE_CLIENT_MS = 30_000

export type SharedPglite = { path: string; stop: () => Promise<void> }

/** Serves `pglite` on the socket in `dataDir`, turn by turn with the server's own queries. */
export async function sharePglite(pglite: PGlite, db: Db, dataDir: string): Promise<SharedPglite> {
  const path = socketPathOf(dataDir)
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH)
    throw new Error(`the socket path ${path} is too long for a Unix socket (shorten DATA_DIR)`)
  privateDirectory(socketDirOf(dataDir))
  rmSync(path, { force: true }) // left by a process that died: the data directory lock is ours
  const turns = turnTaker(pglite, db)
  const handlers = new Set<PGLiteSocketHandler>()
  const server: Server = createServer((socket: Socket) => {
    const handler = new PGLiteSocketHandler({
      queryQueue: turns as never,
      closeOnDetach: true,
      idleTimeout: IDLE_CLIENT_MS,
    })
    handlers.add(handler)
    handler.addEventListener('close', () => handlers.delete(handler))
    handler.addEventListener('error', () => handlers.delete(handler))
    void handler.attach(socket).catch(() => socket.destroy())
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(path, () => resolve())
  })
  chmodSync(path, 0o600)
  return {
    path,
    stop: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      await Promise.all([...handlers].map((h) => h.detach(true)))
      await closed
      rmSync(path, { force: true })
    },
  }
}

// Owner-only, and really a directory of ours: a symlink planted in DATA_DIR is refused.
function privateDirectory(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  const stat = lstatSync(dir)
  if (!stat.isDirectory() || (process.getuid && stat.uid !== process.getuid()))
    throw new Error(`${dir} must be a directory owned by this user`)
  chmodSync(dir, 0o700)
}

type Message = {
  handlerId: number
  message: Uint8Array
  onData: (data: Uint8Array) => void
  resolve: (bytes: number) => void
  reject: (error: Error) => void
}

// ReadyForQuery: 'Z', length 5, then the session's state: 'I' idle, 'T' in a transaction, 'E'
// in a failed one. Only after 'I' may another session take a turn.
const READY_IDLE = [0x5a, 0, 0, 0, 5, 0x49]

/**
 * The queue pglite-socket's handlers put their protocol messages in (its QueryQueueManager's
 * contract). The server's own queries go through Kysely's one PGlite connection; a socket client
 * takes that same connection for a whole turn, from its first message to a ReadyForQuery that
 * says idle: its transaction, or the Parse/Bind/Execute/Sync of one statement, never
 * interleaves with the server's. (pglite-socket's own queue switches clients per message and
 * does not see Kysely's transactions at all.)
 */
function turnTaker(pglite: PGlite, db: Db) {
  const queue: Message[] = []
  let owner: number | undefined
  let ownerBusy = false
  let wake: (() => void) | undefined
  let running = false

  const nextOf = (handlerId: number) => {
    const i = queue.findIndex((m) => m.handlerId === handlerId)
    return i === -1 ? undefined : queue.splice(i, 1)[0]
  }

  async function run(m: Message): Promise<void> {
    const tail: number[] = []
    let bytes = 0
    await pglite.runExclusive(() =>
      pglite.execProtocolRawStream(m.message, {
        onRawData: (data) => {
          bytes += data.length
          for (const b of data.subarray(Math.max(0, data.length - 6))) tail.push(b)
          tail.splice(0, Math.max(0, tail.length - 6))
          m.onData(data)
        },
      }),
    )
    // No ReadyForQuery yet (mid extended protocol) counts as busy, like an open transaction.
    ownerBusy = !READY_IDLE.every((b, i) => tail[i] === b)
    m.resolve(bytes)
  }

  async function turn(handlerId: number): Promise<void> {
    owner = handlerId
    ownerBusy = true
    await db.connection().execute(async () => {
      while (owner === handlerId) {
        const m = nextOf(handlerId)
        if (m) await run(m).catch((error: Error) => m.reject(error))
        else if (!ownerBusy) break
        else await new Promise<void>((resolve) => (wake = resolve))
      }
    })
    if (owner === handlerId) owner = undefined
  }

  async function pump(): Promise<void> {
    if (running) return
    running = true
    try {
      for (let first = queue[0]; first; first = queue[0]) {
        const handlerId = first.handlerId
        // The database closing under a turn: that client's messages fail, the others' wait on.
        await turn(handlerId).catch((error: Error) => {
          if (owner === handlerId) owner = undefined
          for (let m = nextOf(handlerId); m; m = nextOf(handlerId)) m.reject(error)
        })
      }
    } finally {
      running = false
    }
  }

  return {
    enqueue(handlerId: number, message: Uint8Array, onData: (data: Uint8Array) => void) {
      return new Promise<number>((resolve, reject) => {
        queue.push({ handlerId, message, onData, resolve, reject })
        if (handlerId === owner) wake?.()
        void pump()
      })
    },
    clearQueueForHandler(handlerId: number) {
      for (let m = nextOf(handlerId); m; m = nextOf(handlerId))
        m.reject(new Error('client disconnected'))
    },
    // The client left mid-turn (disconnected, idle too long): undo its open transaction, if any,
    // and hand the connection back.
    async clearTransactionIfNeeded(handlerId: number) {
      if (owner !== handlerId) return
      owner = undefined
      if (ownerBusy && pglite.isInTransaction()) await pglite.exec('rollback').catch(() => {})
      wake?.()
    },
  }
}
