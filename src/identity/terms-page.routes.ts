import { createHmac } from 'node:crypto'
import { type Request, type Response, Router } from 'express'
import * as z from 'zod'
import type { Deps } from '../app.js'
import { clearCookie, hostCookieName, readCookie, setCookie } from '../http/cookies.js'
import { verifyCsrf } from '../http/csrf.js'
import {
  continueTo,
  formContext,
  PENDING_PAGES,
  requireSession,
  sendPage,
  sessionOf,
} from '../http/session.js'
import { type MessageKey, t } from '../lib/i18n.js'
import { safeEqual } from '../lib/tokens.js'
import { parse } from '../lib/validate.js'
import { nextStep } from './login.js'
import { acceptTerms, currentTerms, type TermsVersion, termsOwed } from './terms.js'
import { termsPage } from './terms.pages.js'

const TermsBody = z.object({
  version: z.coerce.number().int().positive(),
  accept: z.string().max(10).optional(),
})

const OPENED = 'terms_opened'
const OPENED_OPTIONS = { httpOnly: true, sameSite: 'lax', path: '/' } as const

/** /terms: the Terms of Service a session still owes, accepted exactly as shown. */
export function termsPageRoutes({ config, db }: Deps): Router {
  const router = Router()
  const { secretKey } = config
  const csrf = verifyCsrf(secretKey)

  // "This member opened version N of this store's document", MACed so that a hand-made cookie,
  // or one from another member or store, does not count.
  const openedMark = (res: Response, version: number) => {
    const subject = `${OPENED}:${res.locals.tenant.id}:${sessionOf(res).membership_id}:${version}`
    return `${version}.${createHmac('sha256', secretKey).update(subject).digest('base64url')}`
  }
  const hasOpened = (req: Request, res: Response, version: number) => {
    const cookie = readCookie(req, hostCookieName(res, OPENED))
    return cookie !== undefined && safeEqual(cookie, openedMark(res, version))
  }

  const show = (req: Request, res: Response, terms: TermsVersion, errors: MessageKey[] = []) => {
    const opened = terms.document_url === null || hasOpened(req, res, terms.version)
    const c = formContext(req, res, secretKey)
    const status = errors.length ? 422 : 200
    sendPage(
      res,
      termsPage({ ...c, terms, opened, errors: errors.map((e) => t(c.locale, e)) }),
      status,
    )
  }
  const moveOn = async (req: Request, res: Response) => {
    const pending = await nextStep(db, res.locals.tenant, sessionOf(res))
    res.redirect(303, pending ? PENDING_PAGES[pending] : continueTo(req, res))
  }

  router.get('/terms', requireSession, async (req, res) => {
    const owed = await termsOwed(db, res.locals.tenant, sessionOf(res).membership_id)
    if (!owed) return moveOn(req, res)
    show(req, res, owed)
  })

  router.get('/terms/document', requireSession, async (req, res) => {
    const terms = await currentTerms(db, res.locals.tenant.id)
    if (!terms?.document_url || String(terms.version) !== req.query.v)
      return res.redirect(303, '/terms')
    const mark = openedMark(res, terms.version)
    setCookie(res, hostCookieName(res, OPENED), mark, { ...OPENED_OPTIONS, maxAge: 86_400 })
    res.redirect(303, terms.document_url)
  })

  router.post('/terms', requireSession, csrf, async (req, res) => {
    const body = parse(TermsBody, req.body)
    const session = sessionOf(res)
    const tenant = res.locals.tenant
    const owed = await termsOwed(db, tenant, session.membership_id)
    if (!owed) return moveOn(req, res)
    // A newer version published while the form was open is shown, never accepted unseen.
    if (owed.version !== body.version) return show(req, res, owed, ['termsChanged'])
    const errors: MessageKey[] = []
    if (owed.document_url && !hasOpened(req, res, owed.version)) errors.push('termsOpenFirst')
    if (body.accept !== 'yes') errors.push('termsMustAccept')
    if (errors.length) return show(req, res, owed, errors)
    await acceptTerms(db, {
      tenantId: tenant.id,
      membershipId: session.membership_id,
      version: owed.version,
    })
    clearCookie(res, hostCookieName(res, OPENED), OPENED_OPTIONS)
    await moveOn(req, res)
  })
  return router
}
