import type { default as Provider } from 'oidc-provider'
import type { ArtefactAdapter } from './access-tokens.js'

// The provider's token endpoint (its default route, as src/routes.ts names it).
const TOKEN_ENDPOINT = '/token'

/**
 * Every grant at the token endpoint ends in one statement: the code or refresh token it spends
 * and the tokens it issues (ArtefactAdapter.inOneWrite). The answer leaves after it, so a token
 * is never sent before its record is stored; a request that lost the race for the code or
 * refresh token gets the provider's invalid_grant instead of the tokens it signed.
 */
export function grantsInOneWrite(
  provider: Provider,
  Adapter: ArtefactAdapter,
  replayed: () => Error & { error_description?: string; statusCode?: number },
): void {
  provider.use(async (ctx, next) => {
    if (ctx.method !== 'POST' || ctx.path !== TOKEN_ENDPOINT) return next()
    const issued = () => ctx.status >= 200 && ctx.status < 300
    if (await Adapter.inOneWrite(next, issued)) return
    const err = replayed()
    ctx.status = err.statusCode ?? 400
    ctx.body = { error: err.message, error_description: err.error_description }
  })
}
