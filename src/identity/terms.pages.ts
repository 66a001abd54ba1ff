import { csrfField, type PageContext, storePage } from '../http/layout.js'
import { type Html, html } from '../lib/html.js'
import { t } from '../lib/i18n.js'
import type { TermsVersion } from './terms.js'

type Terms = Pick<TermsVersion, 'version' | 'title' | 'body' | 'document_url'>

// Blank lines separate paragraphs and single line breaks stay: the text is shown as written,
// every piece escaped.
const paragraphs = (text: string): Html[] =>
  text
    .split(/\r?\n\s*\r?\n/)
    .filter((p) => p.trim())
    .map(
      (p) => html`<p>${p.split(/\r?\n/).map((line, i) => (i ? [html`<br />`, line] : line))}</p>`,
    )

/**
 * The version shown is the version accepted. A document must be opened first (seeds: "Submit
 * unavailable until you download the Terms"): the button starts disabled, /assets/terms.js
 * enables it on click, and the server refuses an acceptance without the signed "opened" cookie.
 */
export function termsPage(
  c: PageContext & { csrf: string; terms: Terms; opened: boolean; errors?: string[] },
): Html {
  const { terms } = c
  const locked = terms.document_url !== null && !c.opened
  const errors = c.errors ?? []
  return storePage(c, {
    title: t(c.locale, 'termsTitle'),
    heading: terms.title,
    body: html`${
      errors.length
        ? html`<div class="error" role="alert" id="terms-errors">
            ${errors.map((e) => html`<p>${e}</p>`)}
          </div>`
        : ''
    }
      ${terms.body ? html`<div class="terms-text">${paragraphs(terms.body)}</div>` : ''}
      ${
        terms.document_url
          ? html`<p>
            <a id="terms-document" href="/terms/document?v=${terms.version}" target="_blank"
              rel="noopener">${t(c.locale, 'termsOpen', { title: terms.title })}</a>
          </p>`
          : ''
      }
      ${locked ? html`<p class="message" id="terms-hint">${t(c.locale, 'termsOpenHint')}</p>` : ''}
      <form method="post" action="/terms">
        ${csrfField(c.csrf)}
        <input type="hidden" name="version" value="${terms.version}" />
        <label class="checkbox" for="accept"><input id="accept" name="accept" type="checkbox"
          value="yes" required${errors.length ? html` aria-describedby="terms-errors"` : ''} />
          ${t(c.locale, 'termsAccept')}</label>
        <button id="terms-submit" type="submit"${
          locked ? html` disabled aria-describedby="terms-hint"` : ''
        }>${t(c.locale, 'submit')}</button>
      </form>
      ${terms.document_url ? html`<script src="/assets/terms.js" defer></script>` : ''}`,
  })
}
