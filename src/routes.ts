import { fileURLToPath } from 'node:url'
import express, { type Express, type RequestHandler, Router } from 'express'
import { accessRequestAdminRoutes } from './access-requests/access-requests.routes.js'
import { requestAccessRoutes } from './access-requests/request-access.routes.js'
import { accessRequestsConsoleRoutes } from './console/access-requests.routes.js'
import { consoleTenantRoutes } from './admin/console-tenants.routes.js'
import { openApiDocument } from './admin/openapi.js'
import type { Deps } from './app.js'
import { auditAdminRoutes } from './audit/audit.routes.js'
import { outboxAdminRoutes } from './mail/outbox.routes.js'
import { adminAuth } from './http/auth.js'
import { errorHandler, notFound, requireDecodablePath } from './http/errors.js'
import { healthRoutes, requireMigrated } from './http/health.routes.js'
import { requestContext } from './http/request-context.js'
import { securityHeaders } from './http/security-headers.js'
import { noStore } from './http/pages.js'
import { pendingStepGuard } from './http/pending-step.js'
import { loadSession } from './http/session-cookie.js'
import { resolveTenant } from './http/tenant.js'
import { directoryAdminRoutes } from './sso/directories.routes.js'
import { homeRealmRoutes } from './sso/home-realm.routes.js'
import { oidcCallbackRoutes } from './sso/oidc.routes.js'
import { samlRoutes } from './sso/saml.routes.js'
import { ssoStartRoutes } from './sso/sso.routes.js'
import { ssoContextOf } from './sso/connection.js'
import { consoleRoutes } from './console/console.routes.js'
import { peopleRoutes } from './console/people.routes.js'
import { homeRoute } from './identity/home.routes.js'
import { launchableApps } from './tokens/apps.js'
import { termsAdminRoutes } from './identity/terms.routes.js'
import { invitationAdminRoutes } from './invitations/invitations.routes.js'
import { loginRoutes } from './identity/login.routes.js'
import { termsPageRoutes } from './identity/terms-page.routes.js'
import { activationRoutes } from './invitations/activation.routes.js'
import { catalogueAdminRoutes } from './members/catalogues.routes.js'
import { memberAdminRoutes } from './members/members.routes.js'
import { mailboxRoutes } from './mail/mailbox.routes.js'
import { templateAdminRoutes } from './mail/templates.routes.js'
import { tenantAdminRoutes } from './tenants/tenants.routes.js'
import { appAdminRoutes } from './tokens/apps.routes.js'
import { tokenRoutes } from './tokens/tokens.routes.js'
import { forwardAuthRoute } from './tokens/forward-auth.routes.js'
import { revocationView } from './revocation/view.js'
import { exportAdminRoutes } from './exports/exports.routes.js'
import { importAdminRoutes } from './imports/imports.routes.js'

const ASSETS = fileURLToPath(new URL('./http/assets/', import.meta.url))

/**
 * Every URL the gateway answers, in the order a request meets them. Feature routers hand over
 * their handlers; this table says where they answer: `app.all(paths, router)` strips no prefix,
 * and test/integration/route-table.test.ts checks that each route a router defines is named
 * here. Form bodies are read by the routes that take them (verifyCsrf parses the form it
 * checks), so no list of form paths exists to forget.
 */
export function mountRoutes(app: Express, deps: Deps): void {
  const { config, db, log, readiness } = deps
  // What the database says is cached per process while its revocation events say it holds
  // (src/revocation/); tests that must see a change at once (tenantCacheTtlMs 0) cache nothing.
  const view = config.tenantCacheTtlMs === 0 ? undefined : revocationView(db, log)
  const tokens = tokenRoutes(deps, view)
  const headers = securityHeaders()
  const tenants = resolveTenant(db, config, config.tenantCacheTtlMs, view)

  // Forward auth first: proxies call it on every request of every protected app (issue 13), so
  // it meets only what it needs: a request id, the headers, readiness, the tenant. Its answers
  // are logged at debug level (the proxy in front logs each request already).
  app.get(
    '/auth/verify',
    inSequence(
      requestContext(log, 'debug'),
      headers,
      requireMigrated(readiness),
      tenants,
      forwardAuthRoute({ db, view, providerOf: tokens.providerOf }),
    ),
  )

  // The token endpoint likewise: every app's grants (a back channel: the app's credentials, no
  // browser session) meet only the request id and access log, headers, readiness, the tenant.
  app.post(
    '/token',
    inSequence(
      requestContext(log),
      headers,
      requireMigrated(readiness),
      tenants,
      tokens.providerEndpoint,
    ),
  )

  // Any host, no tenant: request id and access log, headers, a decodable path.
  app.use(requestContext(log), headers, requireDecodablePath)
  app.get(['/healthz', '/readyz'], healthRoutes(db, readiness))
  app.use('/assets', express.static(ASSETS, { fallthrough: false, index: false, maxAge: '1h' }))
  app.use(requireMigrated(readiness))

  // The admin API: JSON bodies and bearer API keys. Its paths are listed by its OpenAPI
  // document (admin/openapi.ts), which test/integration/openapi.test.ts holds to the routers.
  app.use('/admin/api/v1', adminApi(deps))

  // Tenant hosts: the Host names the tenant (unknown: 404).
  app.use(tenants)
  // Without SMTP a first-time user reads the mail here; never in production.
  if (!config.smtpUrl && !config.isProduction)
    app.get('/dev/mailbox', mailboxRoutes(db, config.secretKey, config.mailTemplates))
  // The session cookie; a step the session still owes (password, Terms) comes first.
  app.use(loadSession(db), pendingStepGuard)
  // The tenant's pages: noStore keeps forms and personal data out of every cache.
  app.get(
    '/',
    noStore,
    homeRoute(deps, (tenantId, m) => launchableApps(deps.db, tenantId, m)),
  )
  // A host bound to a company directory, or home-realm discovery, answers /login first.
  app.all('/login', noStore, homeRealmRoutes(deps))
  app.all(
    ['/login', '/logout', '/password/change', '/forgot-password', '/reset-password/:token'],
    noStore,
    loginRoutes(deps),
  )
  app.all('/invite/:token', noStore, activationRoutes(deps))
  app.all(['/terms', '/terms/document'], noStore, termsPageRoutes(deps))
  // Issue 12: guests ask for access; admins unsubscribe from its mail by a signed link.
  app.all(['/request-access', '/access-requests/unsubscribe'], noStore, requestAccessRoutes(deps))
  // The admin console: the store's admins, signed in with the store's own sign-in.
  app.get(
    ['/admin/members', '/admin/members/:id', '/admin/guests', '/admin/groups'],
    noStore,
    peopleRoutes(deps),
  )
  app.get('/admin/access-requests', noStore, accessRequestsConsoleRoutes(deps))
  app.get(['/admin', '/admin/:section'], noStore, consoleRoutes(deps))
  // Sign-in with a company's directory (SAML 2.0 or OpenID Connect): off to its IdP, and back.
  app.get('/sso/:directoryId/start', noStore, ssoStartRoutes(deps))
  app.get(
    '/sso/oidc/:directoryId/callback',
    noStore,
    oidcCallbackRoutes(deps, ssoContextOf(db, config, deps.ssoFetch)),
  )
  // SAML: the SP metadata the IdP reads, the ACS it posts the signed assertion to (its
  // urlencoded body read there, size-limited), and the same-site step that signs the person in.
  app.all(
    [
      '/sso/saml/:directoryId/metadata',
      '/sso/saml/:directoryId/acs',
      '/sso/saml/:directoryId/continue',
    ],
    samlRoutes(deps),
  )

  // The tenant's OpenID Provider: our interaction step and userinfo first,
  app.all(['/interaction/:uid', '/interaction/:uid/abort', '/me'], noStore, tokens.routes)
  // a JWT at introspection or revocation swapped for its record's id,
  app.post(['/token/introspection', '/token/revocation'], tokens.routes)
  // then oidc-provider's own endpoints (its default route names).
  app.all(
    [
      '/.well-known/openid-configuration',
      '/auth',
      '/auth/:uid',
      '/token',
      '/token/introspection',
      '/token/revocation',
      '/jwks',
      '/session/end',
      '/session/end/confirm',
      '/session/end/success',
    ],
    tokens.providerEndpoint,
  )

  app.use(notFound, errorHandler)
}

/**
 * Handlers run one after another inside one Express layer: on forward auth's path a layer of
 * Express's own costs more than most of the handlers it would wrap. An error, thrown or
 * rejected, goes to the app's error handler as from any route.
 */
function inSequence(...handlers: RequestHandler[]): RequestHandler {
  return (req, res, next) => {
    let index = 0
    const step = (err?: unknown): void => {
      if (err) return next(err)
      const handler = handlers[index++]
      if (!handler) return next()
      try {
        const answer: unknown = handler(req, res, step)
        if (answer instanceof Promise) answer.catch(next)
      } catch (error) {
        next(error)
      }
    }
    step()
  }
}

/** /admin/api/v1: its document, then JSON bodies and bearer API keys; each feature brings its router. */
export function adminApi(deps: Deps): Router {
  const router = Router()
  router.get('/openapi.json', (_req, res) => {
    res.json(openApiDocument())
  })
  router.use(express.json({ limit: '2mb' }), adminAuth(deps))
  router.use(
    tenantAdminRoutes(deps),
    // CSV exports (issue 12) before invitations and members: their /:id would take "export".
    exportAdminRoutes(deps),
    invitationAdminRoutes(deps),
    termsAdminRoutes(deps),
    templateAdminRoutes(deps, deps.config.mailTemplates),
    appAdminRoutes(deps),
    directoryAdminRoutes(deps),
    auditAdminRoutes(deps),
    consoleTenantRoutes(deps),
    memberAdminRoutes(deps),
    catalogueAdminRoutes(deps),
    accessRequestAdminRoutes(deps),
    importAdminRoutes(deps),
    outboxAdminRoutes(deps),
  )
  return router
}
