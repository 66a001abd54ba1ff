import { type Html, html } from '../lib/html.js'
import { type MessageKey, t } from '../lib/i18n.js'
import { LOCALES } from '../lib/locales.js'
import { type ConsoleContext, consoleFrame, type Section } from './console.pages.js'

// The people pages of the console: members (list and one member's edit page), the guests x apps
// grid (seed 002) and groups. Server-rendered frames; /assets/console-people.js fills them from
// the public admin API with the session's CSRF token, as /assets/console.js does for the shell.
export type PeoplePage = 'members' | 'member' | 'guests' | 'groups'

const CURRENT: Record<PeoplePage, Section> = {
  members: 'users',
  member: 'users',
  guests: 'guests',
  groups: 'groups',
}
const TITLES: Record<PeoplePage, MessageKey> = {
  members: 'peopleMembersTitle',
  member: 'peopleMemberTitle',
  guests: 'navGuests',
  groups: 'navGroups',
}

/** Every label the script shows, handed over as data-* attributes of the page's root. */
const SCRIPT_LABELS = {
  kindMember: 'peopleKindMember',
  kindGuest: 'peopleKindGuest',
  statusInvited: 'peopleStatusInvited',
  statusActive: 'peopleStatusActive',
  statusDisabled: 'peopleStatusDisabled',
  total: 'peopleTotal',
  totalOne: 'peopleTotalOne',
  totalEstimate: 'peopleTotalEstimate',
  loading: 'listLoading',
  failed: 'listFailed',
  empty: 'listEmpty',
  saved: 'peopleSaved',
  confirmRemove: 'peopleConfirmRemove',
  confirmDeleteGroup: 'peopleConfirmDeleteGroup',
  removed: 'peopleRemoved',
  granted: 'peopleGranted',
  notGranted: 'peopleNotGranted',
  toggleAccess: 'peopleToggleAccess',
  created: 'peopleCreatedOn',
  builtin: 'peopleBuiltin',
  rename: 'peopleRename',
  delete: 'peopleDelete',
  groupName: 'peopleGroupName',
  none: 'peopleNone',
  disable: 'peopleDisable',
  enable: 'peopleEnable',
  guestInvited: 'peopleGuestInvited',
  guestNotInvited: 'peopleGuestNotInvited',
} as const satisfies Record<string, MessageKey>

export function peoplePage(c: ConsoleContext, page: PeoplePage, memberId?: string): Html {
  const l = (key: MessageKey, params?: Record<string, string>) => t(c.locale, key, params)
  const title = l(TITLES[page])
  const api = `/admin/api/v1/tenants/${encodeURIComponent(c.tenantSlug)}`
  const labels = Object.entries(SCRIPT_LABELS).map(
    ([name, key]) =>
      html` data-l-${name.replace(/[A-Z]/g, (m) => `-${m.toLowerCase()}`)}="${l(key)}"`,
  )
  return consoleFrame(c, {
    title,
    current: CURRENT[page],
    head: html`<link rel="stylesheet" href="/assets/console-people.css">
<script src="/assets/console-people.js" defer></script>`,
    body: html`<div class="people" data-page="${page}" data-api="${api}"${memberId ? html` data-member="${memberId}"` : ''}${labels}>
${page === 'member' ? html`<p class="people-back"><a href="/admin/members">${l('peopleBackToMembers')}</a></p>` : ''}
<h1>${title}</h1>
${BODIES[page](l)}
</div>`,
  })
}

type L = (key: MessageKey, params?: Record<string, string>) => string

const state = (l: L) =>
  html`<p class="console-state" role="status" aria-live="polite" data-state>${l('listNeedsScript')}</p>`

const select = (id: string, label: string, options: [string, string][]) =>
  html`<div class="people-field"><label for="${id}">${label}</label>
<select id="${id}" name="${id.replace(/^\w+-/, '')}">${options.map(([v, text]) => html`<option value="${v}">${text}</option>`)}</select></div>`

const BODIES: Record<PeoplePage, (l: L) => Html> = {
  members: (l) => html`<form class="people-filters" role="search" data-filters id="member-filters">
<div class="people-field people-search"><label for="f-q">${l('peopleSearch')}</label>
<input id="f-q" name="q" type="search" autocomplete="off" spellcheck="false"></div>
${select('f-kind', l('peopleKind'), [
  ['', l('peopleAll')],
  ['member', l('peopleKindMember')],
  ['guest', l('peopleKindGuest')],
])}
${select('f-status', l('colStatus'), [
  ['', l('peopleAll')],
  ['invited', l('peopleStatusInvited')],
  ['active', l('peopleStatusActive')],
  ['disabled', l('peopleStatusDisabled')],
])}
${select('f-group', l('peopleGroups'), [['', l('peopleAll')]])}
${select('f-role', l('peopleRole'), [['', l('peopleAll')]])}
${select('f-sort', l('peopleSort'), [
  ['name', l('peopleSortName')],
  ['-name', l('peopleSortNameDesc')],
  ['email', l('peopleSortEmail')],
  ['-created', l('peopleSortNewest')],
  ['created', l('peopleSortOldest')],
])}
</form>
<p class="people-export"><button type="button" class="secondary" data-download="members/export" data-download-form="member-filters">${l('cpExportCsv')}</button> <span class="people-form-error" role="alert" data-download-status></span></p>
<p class="people-total" data-total aria-live="polite"></p>
${state(l)}
<div class="table-wrap" tabindex="0" role="region" aria-label="${l('peopleMembersTitle')}">
<table class="console-table" data-members>
<thead><tr><th scope="col">${l('colName')}</th><th scope="col">${l('colStatus')}</th><th scope="col">${l('email')}</th><th scope="col">${l('peopleKind')}</th><th scope="col">${l('peopleRole')}</th><th scope="col">${l('peopleGroups')}</th></tr></thead>
<tbody></tbody>
</table>
</div>
<nav class="people-pager" aria-label="${l('peoplePages')}">
<button type="button" data-prev disabled>${l('peoplePrevious')}</button>
<button type="button" data-next disabled>${l('peopleNext')}</button>
</nav>`,

  member: (l) => html`${state(l)}
<dl class="people-facts" data-facts hidden>
<dt>${l('email')}</dt><dd data-fact="email"></dd>
<dt>${l('colStatus')}</dt><dd data-fact="status"></dd>
<dt>${l('peopleKind')}</dt><dd data-fact="kind"></dd>
<dt>${l('peopleDirectory')}</dt><dd data-fact="directory"></dd>
<dt>${l('peopleExternalId')}</dt><dd data-fact="externalId"></dd>
<dt>${l('peopleCreated')}</dt><dd data-fact="createdAt"></dd>
<dt>${l('peopleActivated')}</dt><dd data-fact="activatedAt"></dd>
<dt>${l('peopleUpdated')}</dt><dd data-fact="updatedAt"></dd>
<dt>${l('peopleLastSignIn')}</dt><dd data-fact="lastSignInAt"></dd>
</dl>
<form class="people-edit" data-edit hidden novalidate>
<p class="people-form-error" role="alert" data-form-error></p>
${(
  [
    ['firstName', 'profileFirstName'],
    ['lastName', 'profileLastName'],
    ['phone', 'profilePhone'],
    ['jobTitle', 'profileJobTitle'],
  ] as const
).map(
  ([name, key]) => html`<div class="people-field"><label for="m-${name}">${l(key)}</label>
<input id="m-${name}" name="${name}" type="${name === 'phone' ? 'tel' : 'text'}" aria-describedby="e-${name}">
<p class="field-error" id="e-${name}" data-error-for="${name}"></p></div>`,
)}
<div class="people-field"><label for="m-locale">${l('peopleLocale')}</label>
<select id="m-locale" name="locale" aria-describedby="e-locale"><option value="">${l('peopleNone')}</option>${LOCALES.map((x) => html`<option value="${x}">${x}</option>`)}</select>
<p class="field-error" id="e-locale" data-error-for="locale"></p></div>
<div class="people-field"><label for="m-role">${l('peopleRole')}</label>
<select id="m-role" name="role" aria-describedby="e-role"></select>
<p class="field-error" id="e-role" data-error-for="role"></p></div>
<div class="people-field"><label for="m-organization">${l('peopleOrganization')}</label>
<select id="m-organization" name="organization" aria-describedby="e-organization"><option value="">${l('peopleNone')}</option></select>
<p class="field-error" id="e-organization" data-error-for="organization"></p></div>
<fieldset class="people-choices" data-choices="groups" aria-describedby="e-groups"><legend>${l('peopleGroups')}</legend>
<p class="field-error" id="e-groups" data-error-for="groups"></p></fieldset>
<fieldset class="people-choices" data-choices="products" aria-describedby="e-products"><legend>${l('peopleProducts')}</legend>
<p class="field-error" id="e-products" data-error-for="products"></p></fieldset>
<p class="people-actions"><button type="submit">${l('peopleSave')}</button></p>
</form>
<section class="people-danger" data-actions hidden aria-labelledby="h-actions">
<h2 id="h-actions">${l('peopleAccountActions')}</h2>
<p class="people-form-error" role="alert" data-action-error></p>
<p class="people-actions">
<button type="button" data-action="toggle"></button>
<button type="button" data-action="convert" hidden>${l('peopleConvert')}</button>
<button type="button" class="danger" data-action="remove">${l('peopleRemove')}</button>
</p>
</section>`,

  guests: (l) => html`<p class="message">${l('peopleGuestsIntro')}</p>
<details class="people-add" data-add-guests-box>
<summary>${l('peopleAddGuests')}</summary>
<form class="people-create" data-add-guests novalidate>
<div class="people-field"><label for="g-emails">${l('peopleGuestEmails')}</label>
<textarea id="g-emails" name="emails" rows="3" required spellcheck="false" aria-describedby="e-emails"></textarea>
<p class="field-error" id="e-emails" data-error-for="emails"></p></div>
<fieldset class="people-field" data-guest-apps><legend>${l('peopleGuestApps')}</legend></fieldset>
<p class="people-actions"><button type="submit">${l('peopleInviteGuests')}</button></p>
<p class="people-form-error" role="alert" data-add-error></p>
<ul class="people-results" data-add-results aria-live="polite"></ul>
</form>
</details>
<form class="people-filters" role="search" data-filters>
<div class="people-field people-search"><label for="g-q">${l('peopleSearchEmail')}</label>
<input id="g-q" name="q" type="search" autocomplete="off" spellcheck="false"></div>
${select('g-sort', l('peopleSort'), [
  ['email', l('peopleSortEmail')],
  ['-email', l('peopleSortEmailDesc')],
  ['-created', l('peopleSortNewest')],
  ['created', l('peopleSortOldest')],
])}
</form>
<p class="people-total" data-total aria-live="polite"></p>
${state(l)}
<p class="people-form-error" role="alert" data-action-error></p>
<div class="table-wrap" tabindex="0" role="region" aria-label="${l('navGuests')}">
<table class="console-table people-grid" data-guests>
<thead><tr><th scope="col">${l('peopleGuest')}</th></tr></thead>
<tbody></tbody>
</table>
</div>`,

  groups: (l) => html`<form class="people-create" data-create-group novalidate>
<div class="people-field"><label for="new-group">${l('peopleNewGroup')}</label>
<input id="new-group" name="name" type="text" maxlength="100" required aria-describedby="e-name">
<p class="field-error" id="e-name" data-error-for="name"></p></div>
<p class="people-actions"><button type="submit">${l('peopleCreateGroup')}</button></p>
</form>
<p class="people-form-error" role="alert" data-action-error></p>
${state(l)}
<div class="table-wrap" tabindex="0" role="region" aria-label="${l('navGroups')}">
<table class="console-table" data-groups>
<thead><tr><th scope="col">${l('colName')}</th><th scope="col">${l('peopleMemberCount')}</th><th scope="col">${l('peopleActions')}</th></tr></thead>
<tbody></tbody>
</table>
</div>`,
}
