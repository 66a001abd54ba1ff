import { csrfField, type PageContext, storePage } from '../http/layout.js'
import { type Html, html } from '../lib/html.js'
import { type MessageKey, t } from '../lib/i18n.js'

type FormContext = PageContext & { csrf: string }
export type RequestField = 'email' | 'name' | 'message'
export type RequestValues = Partial<Record<RequestField, string>>

const PROBLEMS: Record<RequestField, MessageKey> = {
  email: 'raEmailInvalid',
  name: 'raNameInvalid',
  message: 'raMessageInvalid',
}

/** The form of /request-access; `invalid` fields get their message and aria-invalid. */
export function requestAccessPage(
  c: FormContext & { values?: RequestValues; invalid?: RequestField[] },
): Html {
  const invalid = new Set(c.invalid ?? [])
  const values = c.values ?? {}
  const l = (key: MessageKey) => t(c.locale, key, { tenant: c.tenantName })
  const problem = (f: RequestField) =>
    invalid.has(f) ? html`<p class="error" id="${f}-error">${l(PROBLEMS[f])}</p>` : ''
  const described = (f: RequestField, hint?: string) => {
    const ids = [invalid.has(f) && `${f}-error`, hint].filter(Boolean)
    return html`${ids.length ? html` aria-describedby="${ids.join(' ')}"` : ''}${invalid.has(f) ? html` aria-invalid="true"` : ''}`
  }
  return storePage(c, {
    title: l('raTitle'),
    body: html`${invalid.size ? html`<p class="error" role="alert">${l('raFormErrors')}</p>` : ''}
      <p class="message">${l('raIntro')}</p>
      <form method="post" action="/request-access">
        ${csrfField(c.csrf)}
        <label for="email">${t(c.locale, 'email')}</label>
        ${problem('email')}
        <input id="email" name="email" type="email" autocomplete="email" required maxlength="254"
          value="${values.email ?? ''}"${described('email')} />
        <label for="name">${l('raName')}</label>
        ${problem('name')}
        <input id="name" name="name" type="text" autocomplete="name" required maxlength="100"
          value="${values.name ?? ''}"${described('name')} />
        <label for="message">${l('raMessage')}</label>
        <p class="hint" id="message-hint">${l('raMessageHint')}</p>
        ${problem('message')}
        <textarea id="message" name="message" rows="4" maxlength="1000"${described('message', 'message-hint')}>${values.message ?? ''}</textarea>
        <button type="submit">${l('raSubmit')}</button>
      </form>
      <p><a href="/login">${t(c.locale, 'signIn')}</a></p>`,
  })
}

/** The one answer, whoever asked: nothing here says whether the person has an account. */
export function requestSentPage(c: PageContext): Html {
  return storePage(c, {
    title: t(c.locale, 'raTitle'),
    body: html`<p class="message" role="status">${t(c.locale, 'raSent', { tenant: c.tenantName })}</p>
      <p><a href="/login">${t(c.locale, 'signIn')}</a></p>`,
  })
}

/** A GET never unsubscribes (mail scanners follow links): it asks, and the form posts. */
export function unsubscribeConfirmPage(c: PageContext & { action: string }): Html {
  return storePage(c, {
    title: t(c.locale, 'raUnsubTitle'),
    body: html`<p class="message">${t(c.locale, 'raUnsubConfirm', { tenant: c.tenantName })}</p>
      <form method="post" action="${c.action}">
        <input type="hidden" name="List-Unsubscribe" value="One-Click" />
        <button type="submit">${t(c.locale, 'raUnsubButton')}</button>
      </form>`,
  })
}

export function unsubscribedPage(c: PageContext): Html {
  return storePage(c, {
    title: t(c.locale, 'raUnsubTitle'),
    body: html`<p class="message" role="status">${t(c.locale, 'raUnsubDone', { tenant: c.tenantName })}</p>`,
  })
}
