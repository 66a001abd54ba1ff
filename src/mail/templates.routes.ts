import { type Response, Router } from 'express'
import * as z from 'zod'
import type { Deps } from '../app.js'
import { recordAdminChange } from '../http/admin-change.js'
import { tenantInPath } from '../http/auth.js'
import { parse } from '../lib/validate.js'
import {
  findTemplate,
  previewMail,
  resetTenantTemplate,
  saveTenantTemplate,
} from './tenant-templates.js'
import type { MailDefaults, MailTemplateName } from './templates.js'

export const TemplateBody = z.strictObject({
  subject: z.string(),
  text: z.string(),
  html: z.string(),
})
const PreviewBody = z.strictObject({
  draft: TemplateBody.optional(),
  vars: z.record(z.string(), z.string().max(2000)).optional(),
})

/** /admin/api/v1/tenants/:slug/email-templates/:name/:locale (+ /preview). */
export function templateAdminRoutes({ config, db }: Deps, defaults: MailDefaults): Router {
  const router = Router()
  const path = '/tenants/:slug/email-templates/:name/:locale'
  const ref = async (
    req: { params: Record<string, string | undefined> },
    res: Parameters<typeof tenantInPath>[1],
  ) => {
    const tenant = await tenantInPath(db, res, req.params.slug, config)
    return {
      tenantId: tenant.id,
      name: req.params.name as MailTemplateName,
      locale: req.params.locale ?? '',
    }
  }
  const change = (
    res: Response,
    slug: string,
    r: Awaited<ReturnType<typeof ref>>,
    verb: 'saved' | 'reset',
  ) =>
    recordAdminChange(db, res, {
      tenant: { id: r.tenantId, slug },
      action: `template.${verb}`,
      subject: { kind: 'template', id: `${r.name}/${r.locale}` },
    })

  router.get(path, async (req, res) => {
    const r = await ref(req, res)
    await previewMail(db, defaults, r) // validates name and locale
    res.json(await findTemplate(db, defaults, r))
  })
  router.put(path, async (req, res) => {
    const r = await ref(req, res)
    await saveTenantTemplate(db, { ...r, ...parse(TemplateBody, req.body) } as Parameters<
      typeof saveTenantTemplate
    >[1])
    await change(res, req.params.slug, r, 'saved')
    res.json(await findTemplate(db, defaults, r))
  })
  router.delete(path, async (req, res) => {
    const r = await ref(req, res)
    await resetTenantTemplate(db, r)
    await change(res, req.params.slug, r, 'reset')
    res.json(await findTemplate(db, defaults, r))
  })
  router.post(`${path}/preview`, async (req, res) => {
    const body = parse(PreviewBody, req.body ?? {})
    res.json(await previewMail(db, defaults, { ...(await ref(req, res)), ...body }))
  })
  return router
}
