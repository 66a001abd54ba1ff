import type { IncomingMessage } from 'node:http'

/**
 * oidc-provider (Koa) builds every URL it emits (discovery, form actions, redirects) from the
 * request's host and protocol, and with `proxy` on takes them from X-Forwarded-Host/-Proto,
 * whoever sent them. The registry turns `proxy` on and this sets both headers from the tenant's
 * public URL, over anything a client sent, so every URL names the tenant's canonical origin
 * (SECURITY-NOTES "URLs we emit"). The client address is the one Express resolved with its
 * TRUST_PROXY rule, so only the configured proxies are believed about it.
 */
export function pinOrigin(req: IncomingMessage, publicUrl: string, clientIp: string | undefined) {
  const url = new URL(publicUrl)
  req.headers['x-forwarded-host'] = url.host
  req.headers['x-forwarded-proto'] = url.protocol.slice(0, -1)
  if (clientIp) req.headers['x-forwarded-for'] = clientIp
  else delete req.headers['x-forwarded-for']
}
