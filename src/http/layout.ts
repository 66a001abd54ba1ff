import { type Html, html } from '../lib/html.js'
import { t } from '../lib/i18n.js'
import type { Locale } from '../lib/locales.js'

/** The page shell: no inline script or style, so the CSP can forbid both. */
export function page(input: {
  title: string
  body: Html
  tenantName?: string | undefined
  lang?: string
}): Html {
  return html`<!doctype html>
<html lang="${input.lang ?? 'en'}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${input.tenantName ? `${input.title} · ${input.tenantName}` : input.title}</title>
<link rel="stylesheet" href="/assets/gateway.css">
</head>
<body>
<main class="card">
${input.tenantName ? html`<p class="tenant">${input.tenantName}</p>` : ''}
${input.body}
</main>
</body>
</html>
`
}

/** What every page of a store's host knows: the store's name and the page's language. */
export type PageContext = { tenantName: string; locale: Locale }

/**
 * The one shell of the `*.pages.ts` pages: the frame, the store's name, the page's language,
 * and one heading (the title unless said otherwise) before the body.
 */
export function storePage(
  c: { tenantName?: string | undefined; locale?: Locale },
  input: { title: string; heading?: string; body: Html },
): Html {
  return page({
    title: input.title,
    tenantName: c.tenantName,
    ...(c.locale ? { lang: c.locale } : {}),
    body: html`<h1>${input.heading ?? input.title}</h1>
      ${input.body}`,
  })
}

/** The hidden field every form posts its CSRF value in (http/csrf.ts checks it). */
export const csrfField = (csrf: string): Html =>
  html`<input type="hidden" name="_csrf" value="${csrf}" />`

const ERROR_STATUSES = [400, 401, 403, 404, 409, 413, 500, 503] as const
type ErrorStatus = (typeof ERROR_STATUSES)[number]
const isErrorStatus = (status: number): status is ErrorStatus =>
  (ERROR_STATUSES as readonly number[]).includes(status)

/**
 * The error page people see, in their language (the page locale on a store's host, their
 * Accept-Language elsewhere). `detail` is the domain's public message of a client error (what
 * to do about it): English only, so it replaces the plain text for English readers and follows
 * it, marked as English, for the others.
 */
export function errorPage(
  status: number,
  c: { locale: Locale; tenantName?: string | undefined; detail?: string | undefined },
): Html {
  const known: ErrorStatus = isErrorStatus(status) ? status : status < 500 ? 400 : 500
  const title = t(c.locale, `error${known}`)
  // Off any store's host, a 404 means the address names no store.
  const plain = t(c.locale, known === 404 && !c.tenantName ? 'errorNoStore' : `error${known}Text`)
  const detail = known === 404 || known >= 500 ? undefined : c.detail
  const text =
    detail && c.locale === 'en'
      ? html`<p class="message">${detail}</p>`
      : html`<p class="message">${plain}</p>
          ${detail ? html`<p class="hint" lang="en">${detail}</p>` : ''}`
  const home = c.tenantName ? html`<p><a href="/">${t(c.locale, 'errorHome')}</a></p>` : ''
  return storePage(c, { title, body: html`${text} ${home}` })
}
