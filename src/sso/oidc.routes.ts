import { Router } from 'express'
import * as z from 'zod'
import type { Deps } from '../app.js'
import { ssoBrowserOf } from '../http/sso-browser.js'
import { completeSsoSignIn, refuseSsoSignIn } from '../http/sso-finish.js'
import type { SsoContext } from './connection.js'
import { findEnterpriseDirectory } from './directories.js'
import { finishOidcSignIn } from './oidc.js'

// The authorization response parameters (RFC 6749 4.1.2, 4.1.2.1; RFC 9207): each at most once.
// openid-client reads them from the query as sent; this only refuses what no IdP would send.
const CallbackQuery = z.object({
  state: z.string().max(1000).optional(),
  code: z.string().max(4000).optional(),
  iss: z.string().max(2000).optional(),
  error: z.string().max(200).optional(),
  error_description: z.string().max(2000).optional(),
})

/** GET /sso/oidc/:directoryId/callback: the company's IdP sends the person back here. */
export function oidcCallbackRoutes(deps: Deps, ctx: SsoContext): Router {
  const router = Router()
  router.get('/sso/oidc/:directoryId/callback', async (req, res) => {
    const tenant = res.locals.tenant
    const found = await findEnterpriseDirectory(deps.db, tenant.id, req.params.directoryId)
    if (found?.kind !== 'oidc')
      return refuseSsoSignIn(req, res, deps.db, {
        refusal: { reason: 'unknown_directory' },
        status: 404,
      })
    const directory = found
    if (!CallbackQuery.safeParse(req.query).success)
      return refuseSsoSignIn(req, res, deps.db, { directory, refusal: { reason: 'bad_callback' } })
    const result = await finishOidcSignIn(ctx, {
      tenant,
      directory,
      search: new URL(req.originalUrl, 'http://callback.invalid').search,
      browser: ssoBrowserOf(req, res),
    })
    if (!result.ok) {
      const refusal = { reason: result.reason, ...(result.detail && { detail: result.detail }) }
      return refuseSsoSignIn(req, res, deps.db, {
        directory,
        refusal,
        ...(result.status && { status: result.status }),
      })
    }
    await completeSsoSignIn(req, res, deps, {
      directory,
      profile: result.profile,
      start: result.start,
    })
  })
  return router
}
