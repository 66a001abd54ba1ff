import { page } from '../http/layout.js'
import { type Html, html } from '../lib/html.js'
import { t } from '../lib/i18n.js'
import type { Locale } from '../lib/locales.js'

export type PageContext = { tenantName: string; locale: Locale }

export function homePage(c: PageContext & { email?: string | undefined; csrf?: string }): Html {
  const body =
    c.email && c.csrf
      ? html`<h1>${c.tenantName}</h1>
          <p class="message">${t(c.locale, 'signedInAs', { email: c.email })}</p>
          ${logoutForm(c.locale, c.csrf)}`
      : html`<h1>${c.tenantName}</h1>
          <p class="message">${t(c.locale, 'homeSignedOut')}</p>
          <p><a href="/login">${t(c.locale, 'signIn')}</a></p>`
  return page({ title: c.tenantName, tenantName: c.tenantName, lang: c.locale, body })
}

export const logoutForm = (locale: Locale, csrf: string): Html =>
  html`<form method="post" action="/logout">
    <input type="hidden" name="_csrf" value="${csrf}" />
    <button type="submit">${t(locale, 'signOut')}</button>
  </form>`

/** A page that only says something: a dead link, a busy service, "you are signed out". */
export function messagePage(
  c: PageContext & { title: string; message: string; link?: { href: string; label: string } },
): Html {
  return page({
    title: c.title,
    tenantName: c.tenantName,
    lang: c.locale,
    body: html`<h1>${c.title}</h1>
      ${c.message ? html`<p class="message">${c.message}</p>` : ''}
      ${c.link ? html`<p><a href="${c.link.href}">${c.link.label}</a></p>` : ''}`,
  })
}
