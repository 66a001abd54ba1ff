/**
 * Group commit for writes that each caller must see done before it answers: the first write
 * goes at once; the writes asked for while one is in flight wait for it, then go together in
 * one call (one statement, one commit), and each caller's promise settles with its group.
 * Alone, a caller waits for nothing more than its own write; under load, N callers share a
 * round trip and a commit. A failed group fails each of its callers, as their own writes would.
 */
export function groupWrite<T>(write: (items: T[]) => Promise<void>): (items: T[]) => Promise<void> {
  type Waiting = { items: T[]; resolve: () => void; reject: (err: unknown) => void }
  let queued: Waiting[] = []
  let inFlight = false

  function flush() {
    const group = queued
    queued = []
    inFlight = true
    let written: Promise<void>
    try {
      written = write(group.flatMap((w) => w.items))
    } catch (err) {
      written = Promise.reject(err)
    }
    written.then(
      () => settle(group, (w) => w.resolve()),
      (err: unknown) => settle(group, (w) => w.reject(err)),
    )
  }

  function settle(group: Waiting[], each: (w: Waiting) => void) {
    for (const w of group) each(w)
    inFlight = false
    if (queued.length) flush()
  }

  return (items) =>
    new Promise<void>((resolve, reject) => {
      queued.push({ items, resolve, reject })
      if (!inFlight) flush()
    })
}
