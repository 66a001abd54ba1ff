import express, { type ErrorRequestHandler, Router } from 'express'
import type { Deps } from '../app.js'
import { AppError, type ErrorCode } from '../errors.js'
import { homePage, messagePage } from '../identity/home.pages.js'
import { loginRoutes } from '../identity/login.routes.js'
import { termsPageRoutes } from '../identity/terms-page.routes.js'
import { activationRoutes } from '../invitations/activation.routes.js'
import { type MessageKey, t } from '../lib/i18n.js'
import { tokenRoutes } from '../tokens/tokens.routes.js'
import { csrfToken } from './csrf.js'
import { statusOf, wantsJson } from './errors.js'
import { pageLocale } from './page-locale.js'
import { noStore, sendPage } from './pages.js'
import { pendingStepGuard } from './pending-step.js'
import { loadSession } from './session-cookie.js'

// Only the forms of these pages are parsed here: routers mounted later (oidc-provider) read
// their own request bodies.
const FORM_PATHS = [
  '/login',
  '/logout',
  '/password',
  '/forgot-password',
  '/reset-password',
  '/invite',
  '/terms',
]

/** The server-rendered pages of a tenant host: login, activation, Terms, password reset, home. */
export function tenantPages(deps: Deps): Router {
  const router = Router()
  router.use(FORM_PATHS, express.urlencoded({ extended: false, limit: '64kb' }))
  router.use(loadSession(deps.db), pendingStepGuard)

  router.get('/', noStore, (req, res) => {
    const c = { tenantName: res.locals.tenant.name, locale: pageLocale(req, res) }
    const session = res.locals.session
    const signedIn = session && {
      email: session.email,
      csrf: csrfToken(req, res, deps.config.secretKey),
    }
    sendPage(res, homePage({ ...c, ...signedIn }))
  })
  router.use(loginRoutes(deps), activationRoutes(deps), termsPageRoutes(deps), tokenRoutes(deps))
  router.use(localizedRefusals)
  return router
}

// The refusals people meet on these pages, in their language; every other error goes on to
// the app's error handler.
const LOCALIZED: Partial<Record<ErrorCode, MessageKey>> = { rate_limited: 'limited', busy: 'busy' }

const localizedRefusals: ErrorRequestHandler = (err, req, res, next) => {
  const key = err instanceof AppError ? LOCALIZED[err.code] : undefined
  if (!key || !(err instanceof AppError) || res.headersSent || wantsJson(req)) return next(err)
  const retryAfter = (err.details as { retryAfterSeconds?: unknown } | undefined)?.retryAfterSeconds
  const seconds = typeof retryAfter === 'number' ? Math.max(1, Math.ceil(retryAfter)) : 1
  res.set('Retry-After', String(seconds))
  res.locals.log.info({ code: err.code, status: statusOf[err.code] }, 'request refused')
  const locale = pageLocale(req, res)
  const page = messagePage({
    tenantName: res.locals.tenant.name,
    locale,
    title: t(locale, key),
    message: '',
  })
  sendPage(res, page, statusOf[err.code])
}
