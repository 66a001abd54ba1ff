import { type Html, html } from '../lib/html.js'

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
  return page({ title, tenantName, body: html`<h1>${title}</h1><p class="message">${message}</p>` })
}
