// Host names as the gateway stores and compares them: lowercase, no port, no trailing dot.
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/
export const SLUG = /^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])$/

// An IP literal is no tenant's host: tenants are reached by name, so `Host: 10.0.0.1` is refused.
export function isHostName(host: string): boolean {
  const labels = host.split('.')
  return (
    host.length <= 253 &&
    labels.every((label) => LABEL.test(label)) &&
    !/^\d+$/.test(labels.at(-1) ?? '')
  )
}

/**
 * Normalises a `Host` header. `undefined` means it cannot name any tenant (missing, IP-literal
 * or not a DNS name): such a request is refused before any lookup.
 */
export function normalizeHost(header: string | undefined): string | undefined {
  if (!header) return undefined
  const host = header
    .trim()
    .toLowerCase()
    .replace(/:\d{1,5}$/, '')
    .replace(/\.$/, '')
  return isHostName(host) ? host : undefined
}

/** The slug a host names under the base domain (`acme.localhost` -> `acme`), if any. */
export function slugFromHost(host: string, baseDomain: string): string | undefined {
  const suffix = `.${baseDomain}`
  if (!host.endsWith(suffix)) return undefined
  const slug = host.slice(0, -suffix.length)
  return SLUG.test(slug) ? slug : undefined
}

export const defaultHost = (slug: string, baseDomain: string) => `${slug}.${baseDomain}`
