import { pipeline } from 'node:stream/promises'
import { type Response, Router } from 'express'
import type { Deps } from '../app.js'
import { recordAdminChange } from '../http/admin-change.js'
import { tenantInPath } from '../http/auth.js'
import type { Tenant } from '../tenants/tenants.js'
import { type CsvExport, exportInvitations, exportMembers } from './exports.js'

/**
 * GET /admin/api/v1/tenants/:slug/members/export and …/invitations/export: CSV files. Mounted
 * before the members and invitations routers, whose `/:id` would otherwise take "export".
 */
export function exportAdminRoutes({ config, db }: Deps): Router {
  const router = Router()

  const send = async (res: Response, tenant: Tenant, action: string, file: CsvExport) => {
    // Every person's data leaves the gateway: recorded before the first byte, whoever asked.
    await recordAdminChange(db, res, {
      tenant,
      action,
      subject: { kind: 'tenant', id: tenant.id, label: tenant.slug },
      details: { filters: file.filters },
    })
    res.status(200)
    res.set({
      'Content-Type': 'text/csv; charset=utf-8',
      'Content-Disposition': `attachment; filename="${file.filename}"`,
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
    })
    // Once the first line is out the status is sent: a failure later can only cut the download
    // short (the client sees a truncated file, not a 200 that looks complete).
    await pipeline(file.body, res).catch((error: unknown) => {
      res.locals.log?.warn({ err: error, action }, 'CSV export ended early')
      res.destroy()
    })
  }

  router.get('/tenants/:slug/members/export', async (req, res) => {
    const tenant = await tenantInPath(db, res, req.params.slug, config)
    await send(res, tenant, 'members.exported', await exportMembers(db, tenant, req.query))
  })
  router.get('/tenants/:slug/invitations/export', async (req, res) => {
    const tenant = await tenantInPath(db, res, req.params.slug, config)
    await send(res, tenant, 'invitations.exported', await exportInvitations(db, tenant, req.query))
  })
  return router
}
