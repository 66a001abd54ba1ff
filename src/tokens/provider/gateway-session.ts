import type { IncomingMessage, ServerResponse } from 'node:http'
import type { default as Provider, interactionPolicy as Policy } from 'oidc-provider'

// oidc-provider is handed Express's request and response (tokens.routes.ts), so `ctx.res` is
// Express's response, carrying the gateway session loadSession put on it (pinned).
type GatewaySession = { pending: string | null; user_id: string }
const gatewaySessionOf = (res: unknown) =>
  (res as { locals?: { session?: GatewaySession } }).locals?.session

/** Ends the gateway session of the browser (the request and response are Express's). */
export type EndGatewaySession = (req: IncomingMessage, res: ServerResponse) => Promise<void>

/**
 * The login prompt with one more check: single sign-on follows the gateway's own session, so
 * signing out of the store (or its expiry) ends it for every app, and another person's session
 * never continues this one.
 */
export function gatewaySessionPolicy(interactionPolicy: typeof Policy) {
  const policy = interactionPolicy.base()
  policy.get('login')!.checks.add(
    new interactionPolicy.Check('gateway_session', 'the gateway session ended', (ctx) => {
      if (ctx.oidc.result?.login || !ctx.oidc.session?.accountId) return false
      const session = gatewaySessionOf(ctx.res)
      return !session || session.pending !== null || session.user_id !== ctx.oidc.session.accountId
    }),
  )
  return policy
}

/**
 * Signing out at the provider signs out of the gateway too: once the provider has accepted the
 * confirmation (its CSRF value), and only for the person it signed out. When someone else has
 * just signed in (the provider ends the previous person's session), theirs stays.
 */
export function endGatewaySessionOnLogout(provider: Provider, end: EndGatewaySession): void {
  provider.use(async (ctx, next) => {
    await next()
    if (ctx.oidc?.route !== 'end_session_confirm' || ctx.status >= 400) return
    if (!ctx.oidc.params?.['logout']) return
    const gateway = gatewaySessionOf(ctx.res)
    if (gateway && gateway.user_id === ctx.oidc.session?.accountId) await end(ctx.req, ctx.res)
  })
}
