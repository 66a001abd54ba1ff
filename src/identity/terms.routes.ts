import { Router } from 'express'
import * as z from 'zod'
import type { Deps } from '../app.js'
import { recordAdminChange } from '../http/admin-change.js'
import { tenantInPath } from '../http/auth.js'
import { AppError } from '../errors.js'
import { PG_TIMESTAMPTZ_TEXT, pageCursor } from '../lib/cursor.js'
import { parse } from '../lib/validate.js'
import {
  findTermsVersion,
  listTermsAcceptances,
  listTermsVersionsWithAcceptances,
} from './terms.queries.js'
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
  // Who accepted a version (the console's "Who accepted"), newest first, keyset-paged.
  router.get('/tenants/:slug/terms/versions/:version/acceptances', async (req, res) => {
    const tenant = await tenantInPath(db, res, req.params.slug, config)
    const q = parse(AcceptancesQuery, { ...req.query, version: req.params.version })
    if (!(await findTermsVersion(db, tenant.id, q.version)))
      throw new AppError('not_found', `There is no Terms version ${q.version}.`)
    const rows = await listTermsAcceptances(db, tenant.id, {
      version: q.version,
      before: q.cursor ? keysetOf(cursor.decode(q.cursor)) : undefined,
      limit: q.limit + 1,
    })
    const { page, nextCursor } = cursor.page(rows, q.limit, (r) => [r.at_key, r.membership_id])
    res.json({
      items: page.map((r) => ({
        memberId: r.membership_id,
        email: r.email,
        name: [r.first_name, r.last_name].filter(Boolean).join(' ') || null,
        acceptedAt: r.accepted_at.toISOString(),
      })),
      nextCursor,
    })
  })
  return router
}

const AcceptancesQuery = z.object({
  version: z.coerce.number().int().min(1).max(2_147_483_647),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(200).optional(),
})

// A timestamptz as Postgres prints it, and the membership's uuid.
const cursor = pageCursor(z.tuple([z.string().regex(PG_TIMESTAMPTZ_TEXT), z.uuid()]))

const termsJson = (t: TermsVersion) => ({
  version: t.version,
  title: t.title,
  text: t.body,
  documentUrl: t.document_url,
  publishedAt: t.published_at.toISOString(),
})

const keysetOf = ([atKey, id]: [string, string]) => ({ atKey, id })
