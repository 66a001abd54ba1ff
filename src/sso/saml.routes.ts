import express, { type Request, type Response, Router } from 'express'
import * as z from 'zod'
import type { Deps } from '../app.js'
import { AppError } from '../errors.js'
import { ssoBrowserOf } from '../http/sso-browser.js'
import { completeSsoSignIn, refuseSsoSignIn } from '../http/sso-finish.js'
import { TENANT_CACHE_TTL_MS } from '../http/tenant.js'
import { TOKEN_PATTERN } from '../lib/tokens.js'
import { ssoContextOf } from './connection.js'
import { cachedEnterpriseDirectories } from './directories.js'
import { continueSamlSignIn, finishSamlSignIn } from './saml.js'
import { spMetadata } from './sp-metadata.js'

// A SAMLResponse is a few kB; one with hundreds of groups some tens. Anything larger is refused
// before it is parsed (the IdP's POST goes through the person's browser: anyone can send one).
const MAX_FORM = '256kb'
const readForm = express.urlencoded({ extended: false, limit: MAX_FORM, parameterLimit: 10 })

const AcsForm = z.object({
  SAMLResponse: z.string().min(1).max(350_000),
  RelayState: z.string().max(2000).optional(),
})
const ContinueQuery = z.object({ ticket: z.string().regex(TOKEN_PATTERN) })
// What names a ticket is never cached, nor sent on as a Referer (refusals say the same).
const PRIVATE = { 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer' }

/** The form of this POST, or the body parser's error (too large: status 413). */
const formOf = (req: Request, res: Response) =>
  new Promise<unknown>((resolve, reject) =>
    readForm(req, res, (err?: unknown) => (err ? reject(err) : resolve(req.body))),
  )

/**
 * GET /sso/saml/:id/metadata, POST /sso/saml/:id/acs and GET /sso/saml/:id/continue: the SAML SP
 * of a tenant's directory.
 */
export function samlRoutes(deps: Deps): Router {
  const router = Router()
  const ctx = ssoContextOf(deps.db, deps.config, deps.ssoFetch)
  // Read at each of a sign-in's two requests; kept as briefly as a tenant (http/tenant.ts).
  const directories = cachedEnterpriseDirectories(
    deps.db,
    deps.config.tenantCacheTtlMs ?? TENANT_CACHE_TTL_MS,
  )
  const samlDirectory = async (res: Response, id: string) => {
    const directory = await directories(res.locals.tenant.id, id)
    return directory?.kind === 'saml' ? directory : undefined
  }

  router.get('/sso/saml/:directoryId/metadata', async (req, res) => {
    const directory = await samlDirectory(res, req.params.directoryId)
    if (!directory) throw new AppError('not_found', 'There is no such sign-in connection.')
    const xml = await spMetadata(ctx, { tenant: res.locals.tenant, directory })
    res.set('Cache-Control', 'public, max-age=300').type('application/samlmetadata+xml').send(xml)
  })

  // Cross-site POST from the IdP through the browser: no CSRF token can be expected here; the
  // signed assertion and the single-use InResponseTo are what make it trustworthy. It carries
  // no SameSite=Lax cookie either, so the browser is recognised one step later (saml-ticket.ts).
  router.post('/sso/saml/:directoryId/acs', async (req, res) => {
    const directory = await samlDirectory(res, req.params.directoryId)
    if (!directory)
      return refuseSsoSignIn(req, res, deps.db, {
        refusal: { reason: 'unknown_directory' },
        status: 404,
      })
    const refuse = (reason: string, status = 400, detail?: string) =>
      refuseSsoSignIn(req, res, deps.db, { directory, refusal: { reason, detail }, status })
    let form: unknown
    try {
      form = await formOf(req, res)
    } catch (err) {
      const tooLarge = (err as { type?: string }).type === 'entity.too.large'
      return tooLarge ? refuse('too_large', 413, `over ${MAX_FORM}`) : refuse('bad_form')
    }
    const fields = AcsForm.safeParse(form)
    if (!fields.success)
      return fields.error.issues.some((i) => i.code === 'too_big')
        ? refuse('too_large', 413)
        : refuse('bad_form')
    const outcome = await finishSamlSignIn(ctx, {
      tenant: res.locals.tenant,
      directory,
      host: res.locals.host,
      samlResponse: fields.data.SAMLResponse,
      relayState: fields.data.RelayState,
    })
    if (!outcome.ok) return refuse(outcome.refusal.reason, 400, outcome.refusal.detail)
    const next = `/sso/saml/${encodeURIComponent(directory.id)}/continue?ticket=${outcome.ticket}`
    res.set(PRIVATE).redirect(303, next)
  })

  // Same-site top-level GET: the browser's binding cookie (SameSite=Lax) comes with it.
  router.get('/sso/saml/:directoryId/continue', async (req, res) => {
    res.set(PRIVATE)
    const directory = await samlDirectory(res, req.params.directoryId)
    if (!directory)
      return refuseSsoSignIn(req, res, deps.db, {
        refusal: { reason: 'unknown_directory' },
        status: 404,
      })
    const query = ContinueQuery.safeParse(req.query)
    if (!query.success)
      return refuseSsoSignIn(req, res, deps.db, {
        directory,
        refusal: { reason: 'unknown_ticket' },
      })
    const outcome = await continueSamlSignIn(ctx, {
      tenant: res.locals.tenant,
      directory,
      ticket: query.data.ticket,
      browser: ssoBrowserOf(req, res),
    })
    if (!outcome.ok)
      return refuseSsoSignIn(req, res, deps.db, { directory, refusal: outcome.refusal })
    await completeSsoSignIn(req, res, deps, { directory, ...outcome })
  })
  return router
}
