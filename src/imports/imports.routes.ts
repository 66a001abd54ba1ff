import { Readable } from 'node:stream'
import busboy from 'busboy'
import { type Request, type Response, Router } from 'express'
import type { Deps } from '../app.js'
import { auditActorOf } from '../audit/audit.js'
import { AppError } from '../errors.js'
import { tenantInPath } from '../http/auth.js'
import { actorOf } from '../members/actor.js'
import { MAX_IMPORT_BYTES, spoolUpload, tooLarge } from './csv-source.js'
import {
  getImport,
  importPath,
  listImportViews,
  receiveImport,
  reportCsv,
  templateCsv,
} from './imports.js'

/** /admin/api/v1/tenants/:slug/imports: a CSV of people in, a job, its progress and report. */
export function importAdminRoutes({ config, db }: Deps): Router {
  const router = Router()
  const tenantOf = (res: Response, slug: string | undefined) => tenantInPath(db, res, slug, config)

  router.post('/tenants/:slug/imports', async (req, res) => {
    const tenant = await tenantOf(res, req.params.slug)
    // The rest of an upload not read (refused, or unreadable past a line) is not waited for:
    // the connection closes after the answer.
    const closeUnread = () => {
      if (req.complete) return
      res.set('Connection', 'close')
      res.once('finish', () => req.destroy())
    }
    try {
      const declared = Number(req.get('content-length') ?? 0)
      // Said too large up front: refused before a byte is read.
      if (declared > MAX_IMPORT_BYTES + 64 * 1024) throw tooLarge(MAX_IMPORT_BYTES)
      const upload = await uploadOf(req)
      const spooled = await spoolUpload(upload.source, MAX_IMPORT_BYTES)
      const result = await receiveImport(db, tenant, {
        source: spooled.source,
        fileName: upload.fileName,
        actor: { audit: auditActorOf(res), member: actorOf(res) },
      }).finally(spooled.remove)
      const location = importPath(tenant, result.id)
      closeUnread()
      res
        .status(202)
        .location(location)
        .json({ ...result, links: { self: location, report: `${location}/report` } })
    } catch (error) {
      closeUnread()
      throw error
    }
  })

  router.get('/tenants/:slug/imports', async (req, res) => {
    res.json(await listImportViews(db, await tenantOf(res, req.params.slug)))
  })

  router.get('/tenants/:slug/imports/template', async (req, res) => {
    const tenant = await tenantOf(res, req.params.slug)
    res
      .type('text/csv; charset=utf-8')
      .attachment(`${tenant.slug}-import-template.csv`)
      .send(await templateCsv(db, tenant))
  })

  router.get('/tenants/:slug/imports/:id', async (req, res) => {
    res.json(await getImport(db, await tenantOf(res, req.params.slug), req.params.id))
  })

  router.get('/tenants/:slug/imports/:id/report', async (req, res) => {
    const tenant = await tenantOf(res, req.params.slug)
    const lines = reportCsv(db, tenant, req.params.id)
    const first = await lines.next() // a 404 before any header is sent
    res.type('text/csv; charset=utf-8').attachment(`import-${req.params.id}-report.csv`)
    res.write(first.value ?? '')
    for await (const chunk of lines)
      if (!res.write(chunk)) await new Promise((r) => res.once('drain', r))
    res.end()
  })
  return router
}

type Upload = { source: AsyncIterable<Buffer>; fileName: string | null }

/** The CSV bytes as they arrive: the body itself (text/csv) or the one file of a form. */
function uploadOf(req: Request): Promise<Upload> {
  const type = req.get('content-type') ?? ''
  if (/^text\/(csv|plain)\b/i.test(type) || /^application\/(csv|vnd\.ms-excel)\b/i.test(type)) {
    // Percent-encoded by the console (a header carries no arbitrary Unicode); a raw one is kept.
    const name = fileNameOf(req.get('x-file-name'))
    return Promise.resolve({ source: req, fileName: name })
  }
  if (!/^multipart\/form-data\b/i.test(type))
    throw new AppError(
      'invalid_request',
      'Send the CSV file as text/csv, or as the one file of a multipart/form-data form.',
    )
  return new Promise((resolve, reject) => {
    const form = busboy({
      headers: req.headers,
      limits: { files: 1, fields: 10, fileSize: MAX_IMPORT_BYTES + 1 },
    })
    form.once('file', (_field, stream, info) =>
      resolve({ source: stream as Readable, fileName: info.filename || null }),
    )
    form.once('error', reject)
    form.once('close', () =>
      reject(new AppError('invalid_request', 'The form holds no file: attach the CSV file.')),
    )
    req.pipe(form)
  })
}

function fileNameOf(header: string | undefined): string | null {
  if (!header) return null
  let name = header
  try {
    name = decodeURIComponent(header)
  } catch {
    /* not percent-encoded: as sent */
  }
  return name.slice(0, 255) || null
}
