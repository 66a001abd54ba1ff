import { Router } from 'express'
import * as z from 'zod'
import type { Deps } from '../app.js'
import { AppError } from '../errors.js'
import { safeReturnTo } from '../http/return-to.js'
import { bindSsoBrowser } from '../http/sso-browser.js'
import { freshSignInAsked } from '../http/sso-start.js'
import { refuseSsoSignIn } from '../http/sso-finish.js'
import { usableDirectoryInvitation } from '../invitations/directory-invitations.js'
import { parse } from '../lib/validate.js'
import { ssoContextOf } from './connection.js'
import { findEnterpriseDirectory } from './directories.js'
import { beginOidcSignIn } from './oidc.js'
import { beginSamlSignIn } from './saml.js'

const StartQuery = z.object({
  return_to: z.string().max(2000).optional(),
  invitation: z.uuid().optional(),
})

/** GET /sso/:directoryId/start: off to the company's IdP, for this tenant's directory only. */
export function ssoStartRoutes(deps: Deps): Router {
  const router = Router()
  const ctx = ssoContextOf(deps.db, deps.config, deps.ssoFetch)
  router.get('/sso/:directoryId/start', async (req, res) => {
    const query = parse(StartQuery, req.query)
    const tenant = res.locals.tenant
    const directory = await findEnterpriseDirectory(deps.db, tenant.id, req.params.directoryId)
    if (!directory) throw new AppError('not_found', 'There is no such sign-in connection.')
    // A dead invitation link is said at once, not after a round trip through the IdP.
    if (query.invitation) {
      const scope = { tenantId: tenant.id, directoryId: directory.id }
      const invitationId = query.invitation
      if (!(await usableDirectoryInvitation(deps.db, { ...scope, invitationId }, new Date()))) {
        const refusal = { reason: 'invitation_invalid', detail: 'at start' }
        return refuseSsoSignIn(req, res, deps.db, { directory, refusal })
      }
    }
    const returnTo = safeReturnTo(query.return_to)
    const start = {
      returnTo,
      ...(query.invitation && { invitationId: query.invitation }),
      ...(freshSignInAsked(returnTo) && { fresh: true }),
    }
    // The host the person is on: one of the tenant's hosts (resolveTenant matched it).
    const host = res.locals.host
    const input = { tenant, host, start }
    const url =
      directory.kind === 'saml'
        ? await beginSamlSignIn(ctx, { ...input, directory, browser: bindSsoBrowser(req, res) })
        : await beginOidcSignIn(ctx, { ...input, directory, browser: bindSsoBrowser(req, res) })
    res.redirect(303, url)
  })
  return router
}
