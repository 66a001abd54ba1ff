import express, { Router } from 'express'
import type { Deps } from '../app.js'
import { apiKeyAuth } from '../http/auth.js'
import { termsAdminRoutes } from '../identity/terms.routes.js'
import { invitationAdminRoutes } from '../invitations/invitations.routes.js'
import { templateAdminRoutes } from '../mail/templates.routes.js'
import { tenantAdminRoutes } from '../tenants/tenants.routes.js'
import { appAdminRoutes } from '../tokens/apps.routes.js'
import { openApiDocument } from './openapi.js'

/** /admin/api/v1: JSON, bearer API keys; each feature brings its own router. */
export function adminRoutes(deps: Deps): Router {
  const router = Router()
  router.get('/openapi.json', (_req, res) => {
    res.json(openApiDocument())
  })
  router.use(express.json({ limit: '2mb' }), apiKeyAuth(deps.db))
  router.use(
    tenantAdminRoutes(deps),
    invitationAdminRoutes(deps),
    termsAdminRoutes(deps),
    templateAdminRoutes(deps, deps.config.mailTemplates),
    appAdminRoutes(deps),
  )
  return router
}
