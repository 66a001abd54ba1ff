import type { Request, RequestHandler, Response } from 'express'
import type { Html } from '../lib/html.js'
import { csrfToken } from './csrf.js'
import { pageLocale } from './page-locale.js'

/** Pages whose URL or content carries a secret: kept out of caches and Referer headers. */
export const noStore: RequestHandler = (_req, res, next) => {
  res.set({ 'Referrer-Policy': 'no-referrer', 'Cache-Control': 'no-store' })
  next()
}

/** What every form page needs: the store's name, the language and the CSRF field's value. */
export function formContext(
  req: Request,
  res: Response,
  secretKey: string,
  ...first: (string | null)[]
) {
  return {
    tenantName: res.locals.tenant.name,
    locale: pageLocale(req, res, ...first),
    csrf: csrfToken(req, res, secretKey),
  }
}

export type FormContext = ReturnType<typeof formContext>

export const sendPage = (res: Response, body: Html, status = 200) => {
  res.status(status).type('html').send(body.value)
}
