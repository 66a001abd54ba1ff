import express, { type RequestHandler, Router } from 'express'
import type { Deps } from '../app.js'
import { AppError } from '../errors.js'
import { verifyCsrf } from '../http/csrf.js'
import { pageLocale } from '../http/page-locale.js'
import { formContext, sendPage } from '../http/pages.js'
import { clientAddress, rateLimit, tenantKey } from '../http/rate-limit.js'
import { normalizeEmail } from '../identity/addresses.js'
import { consumeOrThrow, createLimiter } from '../security/limits.js'
import { RequestAccessForm, submitAccessRequest } from './access-requests.js'
import {
  type RequestField,
  requestAccessPage,
  requestSentPage,
  unsubscribeConfirmPage,
  unsubscribedPage,
} from './request-access.pages.js'
import { checkUnsubscribeLink, unsubscribeByLink } from './subscription.js'

/** How many requests pass: per client address, per requester, and for the whole store. */
export const ACCESS_REQUEST_LIMITS = {
  perIp: { points: 5, durationSeconds: 3600 },
  // Past it the request is dropped silently: the answer stays the one everybody gets.
  perAddress: { points: 3, durationSeconds: 86_400 },
  // A flood from many addresses cannot mail the admins without bound: past it, a 429 page.
  perTenant: { points: 40, durationSeconds: 3600 },
} as const

const isRateLimited = (err: unknown) => err instanceof AppError && err.code === 'rate_limited'

/** /request-access and the admins' one-click unsubscribe, on a store's host. */
export function requestAccessRoutes({ config, db }: Deps): Router {
  const router = Router()
  const { secretKey } = config
  const limits = ACCESS_REQUEST_LIMITS
  const perIp = rateLimit(createLimiter(db, { name: 'access-request-ip', ...limits.perIp }))
  const perAddress = createLimiter(db, { name: 'access-request-address', ...limits.perAddress })
  const perTenant = createLimiter(db, { name: 'access-request-tenant', ...limits.perTenant })

  // Only a store with its own user database takes requests: an admin invites into it. A store
  // whose people all sign in through their company has nothing to grant here.
  const open: RequestHandler = (_req, res, next) => {
    if (!res.locals.tenant.databaseDirectoryId)
      throw new AppError('not_found', 'This store does not take access requests.')
    next()
  }

  router.get('/request-access', open, (req, res) => {
    sendPage(res, requestAccessPage(formContext(req, res, secretKey)))
  })

  router.post('/request-access', open, verifyCsrf(secretKey), perIp, async (req, res) => {
    const tenant = res.locals.tenant
    const form = RequestAccessForm.safeParse(req.body ?? {})
    const email: unknown = (req.body as Record<string, unknown> | undefined)?.email
    const address = normalizeEmail(typeof email === 'string' ? email : '')
    if (!form.success || !address.ok) {
      const invalid = new Set<RequestField>(address.ok ? [] : ['email'])
      for (const issue of form.error?.issues ?? [])
        if (['email', 'name', 'message'].includes(String(issue.path[0])))
          invalid.add(issue.path[0] as RequestField)
      const values = req.body as Record<string, unknown>
      const text = (v: unknown) => (typeof v === 'string' ? v.slice(0, 1000) : '')
      const page = requestAccessPage({
        ...formContext(req, res, secretKey),
        values: {
          email: text(values?.email),
          name: text(values?.name),
          message: text(values?.message),
        },
        invalid: [...invalid],
      })
      return sendPage(res, page, 422)
    }
    await consumeOrThrow(perTenant, tenantKey(res, 'all'))
    const isOverAddressLimit = await consumeOrThrow(perAddress, tenantKey(res, address.key)).then(
      () => false,
      (err: unknown) => (isRateLimited(err) ? true : Promise.reject(err)),
    )
    if (!isOverAddressLimit) {
      const input = {
        email: address.email,
        emailKey: address.key,
        name: form.data.name,
        message: form.data.message,
        locale: pageLocale(req, res),
      }
      await db
        .transaction()
        .execute((tx) =>
          submitAccessRequest(tx, tenant, input, { secretKey, ip: clientAddress(req) }),
        )
    }
    const c = formContext(req, res, secretKey)
    sendPage(res, requestSentPage(c))
  })

  const action = (m: string, s: unknown) =>
    `/access-requests/unsubscribe?m=${encodeURIComponent(m)}&s=${encodeURIComponent(String(s))}`

  router.get('/access-requests/unsubscribe', (req, res) => {
    const m = checkUnsubscribeLink(secretKey, res.locals.tenant, req.query)
    const c = { tenantName: res.locals.tenant.name, locale: pageLocale(req, res) }
    sendPage(res, unsubscribeConfirmPage({ ...c, action: action(m, req.query.s) }))
  })

  // RFC 8058: a mail client POSTs `List-Unsubscribe=One-Click` to the URL, with no cookie and
  // no CSRF token: the signature in the URL is the whole authentication (unsubscribe-link.ts).
  router.post(
    '/access-requests/unsubscribe',
    express.urlencoded({ extended: false, limit: '2kb' }),
    async (req, res) => {
      const tenant = res.locals.tenant
      await unsubscribeByLink(db, tenant, { query: req.query, secretKey, ip: req.ip })
      sendPage(res, unsubscribedPage({ tenantName: tenant.name, locale: pageLocale(req, res) }))
    },
  )
  return router
}
