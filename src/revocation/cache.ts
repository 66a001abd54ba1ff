import { MAX_AGE_MS, type RevocationView } from './view.js'

// A busy gateway holds a few thousand live credentials; past this the cache starts over rather
// than grow without bound (a flood of distinct valid credentials costs lookups, not memory).
const MAX_ENTRIES = 50_000

type Entry<T> = { value: T; since: number; keys: readonly string[]; until: number }

/**
 * Answers looked up in the database, kept per process while the revocation view says they hold:
 * none of the keys they rest on was revoked since the lookup began, they have not expired, and
 * the view is fresh. With a stale view every call goes to the database.
 */
export function revocableCache<T>(view: RevocationView) {
  const entries = new Map<string, Entry<T>>()
  return {
    get(id: string): T | undefined {
      if (!view.fresh()) return undefined
      const entry = entries.get(id)
      if (!entry) return undefined
      if (entry.until > Date.now() && view.holds(entry.since, entry.keys)) return entry.value
      entries.delete(id)
      return undefined
    },
    /**
     * Keeps an answer looked up from `since` (view.now() read before the lookup) until `until`
     * (epoch ms), as long as no event names one of its `keys`.
     */
    set(id: string, value: T, since: number, keys: readonly string[], until: number): void {
      if (!view.holds(since, keys)) return
      if (entries.size >= MAX_ENTRIES) entries.clear()
      entries.set(id, { value, since, keys, until })
    },
    get size() {
      return entries.size
    },
  }
}

/**
 * `lookup` with its answers kept per process while the view says they hold (revocableCache):
 * each rests on the keys `keysOf` names, and lives MAX_AGE_MS at most. An undefined answer is
 * not kept (what is missing now may exist in a moment). Without a view, `lookup` itself.
 */
export function heldLookup<T>(
  view: RevocationView | undefined,
  lookup: (id: string) => Promise<T | undefined>,
  keysOf: (id: string) => readonly string[],
): (id: string) => Promise<T | undefined> {
  if (!view) return lookup
  const cache = revocableCache<T>(view)
  return async (id) => {
    const cached = cache.get(id)
    if (cached !== undefined) return cached
    const since = view.now()
    const found = await lookup(id)
    if (found !== undefined) cache.set(id, found, since, keysOf(id), Date.now() + MAX_AGE_MS)
    return found
  }
}
