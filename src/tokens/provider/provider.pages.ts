import type { Configuration } from 'oidc-provider'
import { errorPage, page } from '../../http/layout.js'
import { messagePage } from '../../identity/home.pages.js'
import { Html, html } from '../../lib/html.js'
import { t } from '../../lib/i18n.js'
import type { Tenant } from '../../tenants/tenants.js'

type Logout = NonNullable<NonNullable<Configuration['features']>['rpInitiatedLogout']>

/** The provider's own pages (logout, errors), in the store's language and page shell. */
export function providerPages(tenant: Tenant) {
  const locale = tenant.settings.defaultLocale
  const message = (title: string, text: string) =>
    String(messagePage({ tenantName: tenant.name, locale, title, message: text }))

  // The provider's form (its own CSRF field) with our page around it.
  const logoutSource: Logout['logoutSource'] = (ctx, form) => {
    const title = t(locale, 'signOutOf', { tenant: tenant.name })
    ctx.type = 'html'
    ctx.body = String(
      page({
        title,
        tenantName: tenant.name,
        lang: locale,
        body: html`<h1>${title}</h1>
          ${new Html(form)}
          <p class="actions">
            <button form="op.logoutForm" name="logout" value="yes" autofocus>
              ${t(locale, 'signOut')}
            </button>
            <button form="op.logoutForm" class="secondary">${t(locale, 'staySignedIn')}</button>
          </p>`,
      }),
    )
  }

  // Signed out without a registered place to go back to.
  const postLogoutSuccessSource: Logout['postLogoutSuccessSource'] = (ctx) => {
    ctx.type = 'html'
    ctx.body = message(t(locale, 'signedOut'), '')
  }

  const renderError: Configuration['renderError'] = (ctx, out) => {
    ctx.type = 'html'
    ctx.body = message(t(locale, 'signInClosed'), String(out.error_description ?? out.error ?? ''))
  }

  return { logoutSource, postLogoutSuccessSource, renderError }
}

/** The store's "temporarily unavailable" page, for a browser at an endpoint that met an outage. */
export function outagePage(tenant: Tenant): string {
  return String(errorPage(503, { locale: tenant.settings.defaultLocale, tenantName: tenant.name }))
}
