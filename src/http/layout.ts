import { type Html, html } from '../lib/html.js'
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

const TITLES: Record<number, string> = {
  400: 'This request could not be handled',
  401: 'Please sign in',
  403: 'Not allowed',
  404: 'Page not found',
  409: 'Conflict',
  413: 'Too much data',
  429: 'Too many attempts',
  500: 'Something went wrong',
  503: 'Temporarily unavailable',
}

export function errorPage(status: number, message: string, tenantName?: string): Html {
  const title = TITLES[status] ?? 'Something went wrong'
  return storePage({ tenantName }, { title, body: html`<p class="message">${message}</p>` })
}
