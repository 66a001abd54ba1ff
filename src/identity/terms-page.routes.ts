import { type Request, type Response, Router } from 'express'
import * as z from 'zod'
import type { Deps } from '../app.js'
import { clearCookie, hostCookieName, readCookie, setCookie } from '../http/cookies.js'
import { verifyCsrf } from '../http/csrf.js'
import { formContext, sendPage } from '../http/pages.js'
import { PENDING_PAGES } from '../http/pending-step.js'
import { continueTo } from '../http/return-to.js'
import { requireSession, sessionOf } from '../http/session-cookie.js'
import { type MessageKey, t } from '../lib/i18n.js'
import { parse } from '../lib/validate.js'
import {
  answerTerms,
  openTermsDocument,
  showTerms,
  type TermsProblem,
  type TermsStep,
} from './terms-step.js'
import { termsPage } from './terms.pages.js'

const TermsBody = z.object({
  version: z.coerce.number().int().positive(),
  accept: z.string().max(10).optional(),
})

const OPENED = 'terms_opened'
const OPENED_OPTIONS = { httpOnly: true, sameSite: 'lax', path: '/' } as const
const MESSAGES: Record<TermsProblem, MessageKey> = {
  changed: 'termsChanged',
  open_first: 'termsOpenFirst',
  must_accept: 'termsMustAccept',
}

/** /terms: the Terms of Service a session still owes, accepted exactly as shown. */
export function termsPageRoutes({ config, db }: Deps): Router {
  const router = Router()
  const { secretKey } = config
  const csrf = verifyCsrf(secretKey)

  const reader = (req: Request, res: Response) => ({
    session: sessionOf(res),
    secretKey,
    openedMark: readCookie(req, hostCookieName(res, OPENED)),
  })
  const answer = (req: Request, res: Response, step: TermsStep) => {
    if (step.kind === 'done') {
      if (step.accepted) clearCookie(res, hostCookieName(res, OPENED), OPENED_OPTIONS)
      return res.redirect(303, step.pending ? PENDING_PAGES[step.pending] : continueTo(req, res))
    }
    const c = formContext(req, res, secretKey)
    const errors = step.problems.map((p) => t(c.locale, MESSAGES[p]))
    const page = termsPage({ ...c, terms: step.terms, opened: step.opened, errors })
    sendPage(res, page, errors.length ? 422 : 200)
  }

  router.get('/terms', requireSession, async (req, res) => {
    answer(req, res, await showTerms(db, res.locals.tenant, reader(req, res)))
  })

  router.get('/terms/document', requireSession, async (req, res) => {
    const input = { membershipId: sessionOf(res).membership_id, version: req.query.v, secretKey }
    const document = await openTermsDocument(db, res.locals.tenant, input)
    if (!document) return res.redirect(303, '/terms')
    setCookie(res, hostCookieName(res, OPENED), document.mark, {
      ...OPENED_OPTIONS,
      maxAge: 86_400,
    })
    res.redirect(303, document.url)
  })

  router.post('/terms', requireSession, csrf, async (req, res) => {
    const body = parse(TermsBody, req.body)
    const input = { ...reader(req, res), version: body.version, accepted: body.accept === 'yes' }
    answer(req, res, await answerTerms(db, res.locals.tenant, input))
  })
  return router
}
