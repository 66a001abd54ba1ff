import { Worker } from 'node:worker_threads'

// CPU-bound work off the main thread: the event loop keeps serving while a worker crunches
// (an XML signature check takes milliseconds), and on a machine with several cores the work of
// several requests runs at once. Started on first use, shared by the process, and never keeping
// it alive (workers are unref'd).

type Pending = { resolve: (value: unknown) => void; reject: (error: Error) => void }
type Slot = { worker: Worker; inFlight: Map<number, Pending> }

/**
 * A worker file written in TypeScript runs through tsx, as the rest of the gateway does (bin/
 * gateway.js); a built one (.js) is started as it is.
 */
function startWorker(entry: URL): Worker {
  if (!entry.pathname.endsWith('.ts')) return new Worker(entry)
  // Resolved here (the gateway's own tsx), not from wherever the process was started.
  const tsx = import.meta.resolve('tsx/esm/api')
  const boot = `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(entry.href)}) })`
  return new Worker(boot, { eval: true })
}

/**
 * `size` workers running `entry`, which answers each `{ id, job }` message with `{ id, result }`
 * or `{ id, error }` (see serveJobs). A worker that dies fails its jobs and is replaced.
 */
export function workerPool<Job, Result>(entry: URL, size: number) {
  const slots: (Slot | undefined)[] = Array.from({ length: Math.max(1, size) }, () => undefined)
  let nextId = 0

  function spawn(index: number): Slot {
    const worker = startWorker(entry)
    worker.unref()
    const slot: Slot = { worker, inFlight: new Map() }
    worker.on('message', (message: { id: number; result?: unknown; error?: string }) => {
      const pending = slot.inFlight.get(message.id)
      slot.inFlight.delete(message.id)
      if (message.error !== undefined) pending?.reject(new Error(message.error))
      else pending?.resolve(message.result)
    })
    const fail = (error: Error) => {
      if (slots[index] === slot) slots[index] = undefined
      for (const pending of slot.inFlight.values()) pending.reject(error)
      slot.inFlight.clear()
    }
    worker.on('error', fail)
    worker.on('exit', (code) => fail(new Error(`worker exited with ${code}`)))
    slots[index] = slot
    return slot
  }

  return {
    run(job: Job): Promise<Result> {
      // The least busy worker (started now if it is not running).
      let index = 0
      for (let i = 1; i < slots.length; i++)
        if ((slots[i]?.inFlight.size ?? 0) < (slots[index]?.inFlight.size ?? 0)) index = i
      const slot = slots[index] ?? spawn(index)
      const id = nextId++
      return new Promise<Result>((resolve, reject) => {
        slot.inFlight.set(id, { resolve: resolve as (value: unknown) => void, reject })
        // Busy workers keep the process alive until they answer; idle ones do not.
        slot.worker.ref()
        slot.worker.postMessage({ id, job })
      }).finally(() => {
        if (slot.inFlight.size === 0) slot.worker.unref()
      })
    },
    /** Stops every worker (tests, shutdown); the next job starts them again. */
    async close(): Promise<void> {
      await Promise.all(slots.map((slot) => slot?.worker.terminate()))
    },
  }
}

/** The worker's side: each job handed to `handle`, its result or error sent back. */
export function serveJobs<Job, Result>(
  port: {
    on(event: 'message', listener: (message: { id: number; job: Job }) => void): unknown
    postMessage(message: unknown): void
  },
  handle: (job: Job) => Promise<Result>,
): void {
  port.on('message', ({ id, job }) => {
    handle(job).then(
      (result) => port.postMessage({ id, result }),
      (error: unknown) =>
        port.postMessage({ id, error: error instanceof Error ? error.message : String(error) }),
    )
  })
}
