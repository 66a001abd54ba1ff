import { Router } from 'express'
import type { Deps } from '../app.js'
import { recordAdminChange } from '../http/admin-change.js'
import { tenantInPath } from '../http/auth.js'
import { listTermsVersionsWithAcceptances } from './terms.queries.js'
import { currentTerms, publishTerms, type TermsVersion } from './terms.js'

/** /admin/api/v1/tenants/:slug/terms: publishing a version makes members accept it at next login. */
export function termsAdminRoutes({ config, db }: Deps): Router {
  const router = Router()
  router.put('/tenants/:slug/terms', async (req, res) => {
    const tenant = await tenantInPath(db, res, req.params.slug, config)
    const terms = await db.transaction().execute(async (tx) => {
      const published = await publishTerms(tx, tenant.id, req.body)
      await recordAdminChange(tx, res, {
        tenant,
        action: 'terms.published',
        subject: { kind: 'terms', id: String(published.version), label: published.title },
      })
      return published
    })
    res.status(201).json(termsJson(terms))
  })
  router.get('/tenants/:slug/terms', async (req, res) => {
    const tenant = await tenantInPath(db, res, req.params.slug, config)
    const terms = await currentTerms(db, tenant.id)
    res.json(terms ? termsJson(terms) : null)
  })
  // The console's Terms page: every version with how many members accepted it.
  router.get('/tenants/:slug/terms/versions', async (req, res) => {
    const tenant = await tenantInPath(db, res, req.params.slug, config)
    const rows = await listTermsVersionsWithAcceptances(db, tenant.id)
    res.json({
      versions: rows.map((r) => ({
        version: r.version,
        title: r.title,
        documentUrl: r.document_url,
        publishedAt: r.published_at.toISOString(),
        acceptances: Number(r.acceptances),
      })),
    })
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
