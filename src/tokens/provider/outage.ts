import type { Request, Response } from 'express'
import type { default as Provider } from 'oidc-provider'
import { isDatabaseUnavailable } from '../../db/errors.js'
import type { Tenant } from '../../tenants/tenants.js'
import { outagePage } from './provider.pages.js'

/** RFC 6749's error for a server that cannot answer now (4.1.2.1), as a token endpoint's body. */
export const TEMPORARILY_UNAVAILABLE = {
  error: 'temporarily_unavailable',
  error_description: 'The service is temporarily unavailable. Please try again in a moment.',
} as const

/**
 * 503 with Retry-After (as long as the gateway's other answers during an outage ask for,
 * http/errors.ts): the OAuth error as JSON, or the store's page for a browser.
 */
function unavailable(tenant: Tenant, wantsHtml: boolean) {
  return {
    headers: { 'Retry-After': '5', 'Cache-Control': 'no-store' },
    type: wantsHtml ? 'html' : 'json',
    body: wantsHtml ? outagePage(tenant) : JSON.stringify(TEMPORARILY_UNAVAILABLE),
  }
}

// The requests whose endpoint met the outage (the provider's request contexts).
const outages = new WeakSet<object>()

// Logged as the gateway's error handler logs its 503s (Express's response carries the log).
const logOutage = (res: unknown, err: unknown) =>
  (res as Partial<Response>).locals?.log?.error(
    { err, code: 'unavailable', status: 503 },
    'request failed',
  )

/**
 * oidc-provider catches every error of its endpoints and answers 500 `server_error` (or sends
 * the browser back to the app with it): a database outage would look like a fault of ours to
 * fix, and clients would not know to retry. The error reaches us as the provider's
 * `server_error` event; once the endpoint is done its answer is replaced by a 503, as every
 * other answer of the gateway while its database is away.
 */
export function answerOutagesWith503(provider: Provider, tenant: Tenant): void {
  provider.on('server_error', (ctx, err) => {
    if (!isDatabaseUnavailable(err)) return
    outages.add(ctx)
    logOutage(ctx.res, err)
  })
  provider.use(async (ctx, next) => {
    try {
      await next()
    } catch (err) {
      // Thrown past the provider's own handlers (by a middleware of ours: logout's session end).
      if (!isDatabaseUnavailable(err)) throw err
      outages.add(ctx)
      logOutage(ctx.res, err)
    }
    if (!outages.has(ctx)) return
    const answer = unavailable(tenant, ctx.accepts('json', 'html') === 'html')
    ctx.remove('Location')
    ctx.set(answer.headers)
    ctx.status = 503
    ctx.type = answer.type
    ctx.body = answer.body
  })
}

/**
 * The same answer when the tenant's provider cannot be built (its keys are in the database);
 * false for any other error, which goes on to the gateway's error handler.
 */
export function answeredOutage(err: unknown, req: Request, res: Response, tenant: Tenant) {
  if (!isDatabaseUnavailable(err) || res.headersSent) return false
  logOutage(res, err)
  const answer = unavailable(tenant, req.accepts(['json', 'html']) === 'html')
  res.status(503).set(answer.headers).type(answer.type).send(answer.body)
  return true
}
