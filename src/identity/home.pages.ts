import { csrfField, type PageContext, storePage } from '../http/layout.js'
import { type Html, html } from '../lib/html.js'
import { t } from '../lib/i18n.js'
import type { Locale } from '../lib/locales.js'

export function homePage(c: PageContext & { email?: string | undefined; csrf?: string }): Html {
  const body =
    c.email && c.csrf
      ? html`<p class="message">${t(c.locale, 'signedInAs', { email: c.email })}</p>
          ${logoutForm(c.locale, c.csrf)}`
      : html`<p class="message">${t(c.locale, 'homeSignedOut')}</p>
          <p><a href="/login">${t(c.locale, 'signIn')}</a></p>`
  return storePage(c, { title: c.tenantName, body })
}

export const logoutForm = (locale: Locale, csrf: string): Html =>
  html`<form method="post" action="/logout">
    ${csrfField(csrf)}
    <button type="submit">${t(locale, 'signOut')}</button>
  </form>`

/** A page that only says something: a dead link, a busy service, "you are signed out". */
export function messagePage(
  c: PageContext & { title: string; message: string; link?: { href: string; label: string } },
): Html {
  return storePage(c, {
    title: c.title,
    body: html`${c.message ? html`<p class="message">${c.message}</p>` : ''}
      ${c.link ? html`<p><a href="${c.link.href}">${c.link.label}</a></p>` : ''}`,
  })
}
