import { csrfField, storePage } from '../http/layout.js'
import { type Html, html } from '../lib/html.js'
import { type MessageKey, t } from '../lib/i18n.js'
import type { Locale } from '../lib/locales.js'
import {
  appsSection,
  auditSection,
  importsSection,
  invitationsSection,
  scriptMessages,
  settingsSection,
  sharedParts,
  templatesSection,
  termsSection,
} from './console-sections.js'

// The console's frame: server-rendered like the sign-in pages, no inline script or style (the
// CSP forbids both). Each page's data comes from the public admin API, fetched by
// /assets/console.js with the session's CSRF token from the meta tag: whatever the console
// does, a script with an API key can do too.

export const SECTIONS = [
  'users',
  'invitations',
  'guests',
  'groups',
  'apps',
  'templates',
  'terms',
  'settings',
  'imports',
  'audit',
  'access-requests',
] as const
export type Section = (typeof SECTIONS)[number] | 'tenants'

const LABELS: Record<Section, MessageKey> = {
  users: 'navUsers',
  invitations: 'navInvitations',
  guests: 'navGuests',
  groups: 'navGroups',
  apps: 'navApps',
  templates: 'navTemplates',
  terms: 'navTerms',
  settings: 'navSettings',
  imports: 'navImports',
  audit: 'navAudit',
  'access-requests': 'navAccessRequests',
  tenants: 'navTenants',
}

// Where the admin API will answer what a page not built yet will show.
const API_PATHS: Partial<Record<Section, string>> = {
  guests: '/members?kind=guest',
  groups: '/groups',
}

export type ConsoleContext = {
  tenantName: string
  tenantSlug: string
  locale: Locale
  email: string
  /** The platform tenant's console: every tenant is listed. */
  platform: boolean
  /** The console's X-CSRF-Token value (console/csrf.ts). */
  apiCsrf: string
  /** The sign-out form's `_csrf` value (http/csrf.ts). */
  formCsrf: string
}

/** Where a nav entry leads: Users is the members list (console/people.pages.ts). */
export const sectionHref = (s: Section) => (s === 'users' ? '/admin/members' : `/admin/${s}`)

export const sectionsOf = (c: { platform: boolean }): Section[] =>
  c.platform ? ['tenants', ...SECTIONS] : [...SECTIONS]

/**
 * The frame of every console page: head (its own `head` parts: scripts, styles, data), the bar
 * with sign-out, the nav with `current` marked, and `main` around `body`.
 */
export function consoleFrame(
  c: ConsoleContext,
  input: { title: string; current: Section; head: Html; body: Html; bodyAttributes?: Html },
): Html {
  const l = (key: MessageKey) => t(c.locale, key)
  return html`<!doctype html>
<html lang="${c.locale}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="csrf-token" content="${c.apiCsrf}">
<title>${input.title} · ${l('consoleTitle')} · ${c.tenantName}</title>
<link rel="stylesheet" href="/assets/gateway.css">
<link rel="stylesheet" href="/assets/console.css">
<script src="/assets/console-download.js" defer></script>
${input.head}
</head>
<body class="console"${input.bodyAttributes ?? ''}>
<a class="skip" href="#content">${l('skipToContent')}</a>
<header class="console-bar">
  <p class="console-brand"><span class="tenant">${c.tenantName}</span> ${l('consoleTitle')}</p>
  <form method="post" action="/logout" class="console-signout">
    ${csrfField(c.formCsrf)}
    <span class="console-user">${c.email}</span>
    <button type="submit">${l('signOut')}</button>
  </form>
</header>
<nav class="console-nav" aria-label="${l('consoleNav')}">
  <ul>
    ${sectionsOf(c).map(
      (s) =>
        html`<li><a href="${sectionHref(s)}"${s === input.current ? html` aria-current="page"` : ''}>${l(LABELS[s])}</a></li>`,
    )}
  </ul>
</nav>
<main id="content" class="console-main" tabindex="-1">
${input.body}
</main>
</body>
</html>
`
}

export function consolePage(c: ConsoleContext, section: Section): Html {
  const title = t(c.locale, LABELS[section])
  const api = `/admin/api/v1/tenants/${encodeURIComponent(c.tenantSlug)}`
  return consoleFrame(c, {
    title,
    current: section,
    head: html`<script src="/assets/console.js" defer></script>
${scriptMessages(c.locale)}`,
    bodyAttributes: html` data-section="${section}"`,
    body: html`<h1>${title}</h1>
${sectionBody(c, section, api)}
${sharedParts({ locale: c.locale, api })}`,
  })
}

function sectionBody(c: ConsoleContext, section: Section, api: string): Html {
  const s = { locale: c.locale, api }
  // Users shows the invitations until the members API lands (issue 11, members helper).
  if (section === 'users') return invitationsSection(s, t(c.locale, 'navInvitations'))
  if (section === 'invitations') return invitationsSection(s, undefined)
  if (section === 'apps') return appsSection(s)
  if (section === 'templates') return templatesSection(s)
  if (section === 'terms') return termsSection(s)
  if (section === 'settings') return settingsSection(s)
  if (section === 'audit') return auditSection(s)
  if (section === 'imports') return importsSection(s)
  if (section === 'tenants')
    return listTable(c, {
      source: '/admin/api/v1/tenants',
      list: 'tenants',
      columns: [t(c.locale, 'colName'), 'Slug', t(c.locale, 'colAddress')],
    })
  return html`<p class="message">${t(c.locale, 'consoleComingSoon', { path: `${api}${API_PATHS[section] ?? ''}` })}</p>`
}

function listTable(
  c: ConsoleContext,
  input: { source: string; list: string; heading?: string | undefined; columns: string[] },
): Html {
  const l = (key: MessageKey) => t(c.locale, key)
  return html`${input.heading ? html`<h2 id="${input.list}">${input.heading}</h2>` : ''}
<p class="console-state" role="status" data-state-for="${input.list}"
  data-loading="${l('listLoading')}" data-failed="${l('listFailed')}" data-empty="${l('listEmpty')}">${l('listNeedsScript')}</p>
<div class="table-wrap" tabindex="0" role="region" aria-label="${input.heading ?? input.list}">
<table class="console-table" data-list="${input.list}" data-source="${input.source}"
  data-pending="${l('statusPending')}" data-expired="${l('statusExpired')}"
  data-accepted="${l('statusAccepted')}" data-revoked="${l('statusRevoked')}"
  data-soon="${l('expiresSoon')}">
<thead><tr>${input.columns.map((col) => html`<th scope="col">${col}</th>`)}</tr></thead>
<tbody></tbody>
</table>
</div>`
}

/** Signed in, but not an admin of this store: said plainly, with a way out. */
export function forbiddenPage(c: {
  tenantName: string
  locale: Locale
  email: string
  formCsrf: string
}): Html {
  return storePage(c, {
    title: t(c.locale, 'notAllowed'),
    body: html`<p class="message">${t(c.locale, 'consoleForbidden', { tenant: c.tenantName, email: c.email })}</p>
      <p><a href="/">${c.tenantName}</a></p>
      <form method="post" action="/logout">
        ${csrfField(c.formCsrf)}
        <button type="submit">${t(c.locale, 'signOut')}</button>
      </form>`,
  })
}
