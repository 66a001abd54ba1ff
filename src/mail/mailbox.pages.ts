import { storePage } from '../http/layout.js'
import { type Html, html } from '../lib/html.js'
import type { MailboxEntry } from './outbox.js'

const URL_IN_TEXT = /(https?:\/\/[^\s<>"']+)/

/** The dev mailbox: what would have been sent, so a first-time user can click the activation link. */
export function mailboxPage(tenant: { name: string }, mails: MailboxEntry[]): Html {
  return storePage(
    { tenantName: tenant.name },
    {
      title: 'Mailbox',
      body: html`<p class="message">No SMTP server is configured (SMTP_URL), so mail stays here. This page does not exist in production.</p>
${mails.length === 0 ? html`<p class="message">No mail yet.</p>` : mails.map(mailView)}`,
    },
  )
}

function mailView(mail: MailboxEntry): Html {
  const to = mail.to.name ? `${mail.to.name} <${mail.to.address}>` : mail.to.address
  return html`<article class="mail">
<h2>${mail.subject}</h2>
<p class="meta">To ${to} · ${mail.status}${mail.attempts > 0 ? ` after ${mail.attempts} attempts` : ''} · ${mail.createdAt.toISOString()}</p>
${mail.isSecretReadable ? '' : html`<p class="meta">The link was sealed with another SECRET_KEY and cannot be shown.</p>`}
<div class="mail-body">${paragraphs(mail.text)}</div>
</article>`
}

// Plain text to escaped HTML: blank lines make paragraphs, http(s) URLs become links.
function paragraphs(text: string): Html[] {
  return text
    .trim()
    .split(/\n\s*\n/)
    .map(
      (para) =>
        html`<p>${para.split('\n').map((line, i) => html`${i > 0 ? html`<br>` : ''}${linkify(line)}`)}</p>`,
    )
}

function linkify(line: string): Html[] {
  return line
    .split(URL_IN_TEXT)
    .map((part, i) => (i % 2 === 1 ? html`<a href="${part}">${part}</a>` : html`${part}`))
}
