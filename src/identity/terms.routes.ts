import { Router } from 'express'
import type { Deps } from '../app.js'
import { tenantInPath } from '../http/auth.js'
import { currentTerms, publishTerms, type TermsVersion } from './terms.js'

/** /admin/api/v1/tenants/:slug/terms: publishing a version makes members accept it at next login. */
export function termsAdminRoutes({ config, db }: Deps): Router {
  const router = Router()
  router.put('/tenants/:slug/terms', async (req, res) => {
    const tenant = await tenantInPath(db, res, req.params.slug, config)
    res
      .status(201)
      .json(
        termsJson(await db.transaction().execute((tx) => publishTerms(tx, tenant.id, req.body))),
      )
  })
  router.get('/tenants/:slug/terms', async (req, res) => {
    const tenant = await tenantInPath(db, res, req.params.slug, config)
    const terms = await currentTerms(db, tenant.id)
    res.json(terms ? termsJson(terms) : null)
  })
  return router
}

const termsJson = (t: TermsVersion) => ({
  version: t.version,
  title: t.title,
  text: t.body,
  documentUrl: t.document_url,
  publishedAt: t.published_at.toISOString(),
})
