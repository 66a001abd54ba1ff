import { csrfField, type PageContext, storePage } from '../http/layout.js'
import { type Html, html } from '../lib/html.js'
import { t } from '../lib/i18n.js'
import type { Locale } from '../lib/locales.js'
import type { TenantSettings } from '../tenants/settings.js'

/** What the home page shows a signed-in person: who, the apps they may open, how to install. */
export type HomeView = {
  email: string
  firstName: string | null
  csrf: string
  apps: { name: string; launchUrl: string }[]
  store: TenantSettings['store']
}

export function homePage(c: PageContext & { signedIn?: HomeView | undefined }): Html {
  if (!c.signedIn)
    return storePage(c, {
      title: c.tenantName,
      body: html`<p class="message">${t(c.locale, 'homeSignedOut')}</p>
        <p><a href="/login">${t(c.locale, 'signIn')}</a></p>`,
    })
  const you = c.signedIn
  const heading = you.firstName ? t(c.locale, 'welcome', { name: you.firstName }) : c.tenantName
  return storePage(c, {
    title: c.tenantName,
    heading,
    body: html`${installButtons(c.locale, you.store)}
      <h2>${t(c.locale, 'homeApps')}</h2>
      ${
        you.apps.length
          ? html`<ul class="apps">
            ${you.apps.map(
              (app) => html`<li><a class="button" href="${app.launchUrl}">${app.name}</a></li>`,
            )}
          </ul>`
          : html`<p class="hint">${t(c.locale, 'homeNoApps')}</p>`
      }
      <p class="hint">${t(c.locale, 'signedInAs', { email: you.email })}</p>
      ${logoutForm(c.locale, you.csrf)}`,
  })
}

// Seeds: a native store is installed from the App Store or Google Play, then opened.
function installButtons(locale: Locale, store: TenantSettings['store']): Html | string {
  if (store.kind !== 'native') return ''
  return html`<p class="message">${t(locale, 'homeInstall')}</p>
    <ul class="install">
      <li><a class="button" href="${store.iosUrl}">${t(locale, 'installIos')}</a></li>
      <li><a class="button" href="${store.androidUrl}">${t(locale, 'installAndroid')}</a></li>
    </ul>`
}

export const logoutForm = (locale: Locale, csrf: string): Html =>
  html`<form method="post" action="/logout">
    ${csrfField(csrf)}
    <button type="submit" class="secondary">${t(locale, 'signOut')}</button>
  </form>`

/** `GET /logout`: a link or a bookmark asks to sign out; the form (CSRF) is what does it. */
export function logoutConfirmPage(c: PageContext & { csrf: string }): Html {
  return storePage(c, {
    title: t(c.locale, 'signOutOf', { tenant: c.tenantName }),
    body: html`<form method="post" action="/logout">
        ${csrfField(c.csrf)}
        <p class="actions">
          <button type="submit">${t(c.locale, 'signOut')}</button>
          <a class="button secondary" href="/">${t(c.locale, 'staySignedIn')}</a>
        </p>
      </form>`,
  })
}

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
