import { Html, html } from '../lib/html.js'
import { type MessageKey, t } from '../lib/i18n.js'
import { LOCALES, type Locale } from '../lib/locales.js'
import { MAIL_TEMPLATES, PLACEHOLDERS } from '../mail/templates.js'

// The bodies of the console's pages: labelled forms and empty tables, server-rendered; the data
// and the actions come from /assets/console.js calling the public admin API. What the script
// says (results, confirmations, errors) is in the page's language too: the messages it needs
// travel in a JSON data block, which the CSP leaves alone (it is never executed).

type Ctx = { locale: Locale; api: string }

/** Language names in their own language, as language pickers show them. */
const LANGUAGE_NAMES: Record<Locale, string> = {
  en: 'English',
  fr: 'Français',
  nl: 'Nederlands',
  de: 'Deutsch',
}

const SCRIPT_KEYS = [
  'cpCancel',
  'cpConfirm',
  'cpClose',
  'cpSaved',
  'cpFormErrors',
  'cpFailed',
  'cpLoadMore',
  'cpResend',
  'cpResendAt',
  'cpReinvite',
  'cpRevoke',
  'cpConfirmRevoke',
  'cpConfirmReinvite',
  'cpResent',
  'cpReinvited',
  'cpRevoked',
  'cpResultCounts',
  'cpResult_invited',
  'cpResult_reinvited',
  'cpResult_already_invited',
  'cpResult_already_member',
  'cpResult_invalid',
  'cpDirectoryPassword',
  'cpNoProducts',
  'cpType_web',
  'cpType_spa',
  'cpType_native',
  'cpType_machine',
  'cpPublicApp',
  'cpRotate',
  'cpConfirmRotate',
  'cpDelete',
  'cpConfirmDelete',
  'cpDeleted',
  'cpRegistered',
  'cpSecretTitle',
  'cpConfirmReset',
  'cpConfirmPublish',
  'cpTermsPublished',
  'cpPeople',
  'cpWhoAccepted',
  'cpActorFilter',
  'cpSubjectFilter',
  'imState_queued',
  'imState_running',
  'imState_done',
  'imState_failed',
  'imProgress',
  'imUploading',
  'imReport',
  'imFile',
  'imDropHint',
  'imOutcome_invited',
  'imOutcome_created',
  'imOutcome_updated',
  'imOutcome_unchanged',
  'imOutcome_already_invited',
  'imOutcome_reinvited',
  'imOutcome_deleted',
  'imOutcome_not_found',
  'imOutcome_duplicate',
  'imOutcome_invalid',
  'statusPending',
  'statusExpired',
  'statusAccepted',
  'statusRevoked',
  'expiresSoon',
  'listLoading',
  'listFailed',
  'listEmpty',
] as const satisfies readonly MessageKey[]

/** The script's messages: JSON in a data block, `<` escaped so no text can close the element. */
export function scriptMessages(locale: Locale): Html {
  // The {slots} stay for the script to fill.
  const slots = new Proxy({} as Record<string, string>, { get: (_, name) => `{${String(name)}}` })
  const messages = Object.fromEntries(SCRIPT_KEYS.map((k) => [k, t(locale, k, slots)]))
  const json = JSON.stringify(messages).replace(/</g, '\\u003c')
  return html`<script type="application/json" id="console-messages">${rawJson(json)}</script>`
}

// JSON whose `<` is escaped is safe as raw element text; html`` would entity-escape its quotes.
const rawJson = (json: string): Html => new Html(json)

const hintId = (id: string) => `${id}-hint`

function field(
  c: Ctx,
  input: {
    id: string
    name: string
    label: string
    type?: string
    value?: string
    hint?: string | undefined
    optional?: boolean
    attrs?: Html
  },
): Html {
  const hint = input.hint ? hintId(input.id) : undefined
  return html`<div class="field">
<label for="${input.id}">${input.label}${input.optional ? html` <span class="optional">(${t(c.locale, 'cpOptional')})</span>` : ''}</label>
${input.hint ? html`<p class="hint" id="${hintId(input.id)}">${input.hint}</p>` : ''}
<input id="${input.id}" name="${input.name}" type="${input.type ?? 'text'}"${input.value !== undefined ? html` value="${input.value}"` : ''}${hint ? html` aria-describedby="${hint}"` : ''}${input.attrs ?? ''}>
</div>`
}

function textarea(
  c: Ctx,
  input: {
    id: string
    name: string
    label: string
    hint?: string | undefined
    rows?: number
    optional?: boolean
    required?: boolean
  },
): Html {
  return html`<div class="field">
<label for="${input.id}">${input.label}${input.optional ? html` <span class="optional">(${t(c.locale, 'cpOptional')})</span>` : ''}</label>
${input.hint ? html`<p class="hint" id="${hintId(input.id)}">${input.hint}</p>` : ''}
<textarea id="${input.id}" name="${input.name}" rows="${input.rows ?? 4}"${input.hint ? html` aria-describedby="${hintId(input.id)}"` : ''}${input.required ? html` required` : ''}></textarea>
</div>`
}

const formAlert = () => html`<div class="form-errors error" role="alert" hidden></div>`

function table(
  c: Ctx,
  input: { list: string; label: string; columns: MessageKey[] | string[]; raw?: boolean },
): Html {
  const l = (key: MessageKey) => t(c.locale, key)
  return html`<p class="console-state" role="status" data-state-for="${input.list}">${l('listNeedsScript')}</p>
<div class="table-wrap" tabindex="0" role="region" aria-label="${input.label}">
<table class="console-table" data-list="${input.list}">
<thead><tr>${input.columns.map((col) => html`<th scope="col">${input.raw ? col : l(col as MessageKey)}</th>`)}</tr></thead>
<tbody></tbody>
</table>
</div>`
}

/** Users and Invitations: the pending list with its actions, and the invite dialog. */
export function invitationsSection(c: Ctx, heading: string | undefined): Html {
  const l = (key: MessageKey) => t(c.locale, key)
  return html`<div class="page-actions">
<button type="button" id="invite-open" aria-haspopup="dialog">${l('cpInvite')}</button>
<button type="button" class="secondary" data-download="${c.api}/invitations/export">${l('cpExportCsv')}</button>
<span class="form-errors error" role="alert" data-download-status></span>
</div>
${heading ? html`<h2 id="invitations">${heading}</h2>` : ''}
<div data-page="invitations" data-api="${c.api}">
${table(c, {
  list: 'invitations',
  label: heading ?? l('navInvitations'),
  columns: ['email', 'colName', 'colStatus', 'colExpires', 'cpActions'],
})}
<p><button type="button" class="secondary" data-more="invitations" hidden>${l('cpLoadMore')}</button></p>
</div>
<dialog id="invite-dialog" aria-labelledby="invite-title">
<form id="invite-form" method="dialog" novalidate>
<h2 id="invite-title">${l('cpInvite')}</h2>
${formAlert()}
${textarea(c, { id: 'invite-emails', name: 'emails', label: l('cpInviteEmails'), hint: l('cpInviteEmailsHint'), rows: 5, required: true })}
<div class="field">
<label for="invite-role">${l('cpRole')}</label>
<select id="invite-role" name="role"><option value="user" selected>user</option><option value="admin">admin</option></select>
</div>
${field(c, { id: 'invite-groups', name: 'groups', label: l('cpGroups'), hint: l('cpCommaHint'), optional: true })}
<fieldset class="field" id="invite-products" data-field="products">
<legend>${l('cpProducts')} <span class="optional">(${l('cpOptional')})</span></legend>
<p class="hint" data-products-empty>${l('cpNoProducts')}</p>
</fieldset>
${field(c, { id: 'invite-organization', name: 'organization', label: l('cpOrganization'), optional: true, attrs: html` list="invite-organizations" autocomplete="off"` })}
<datalist id="invite-organizations"></datalist>
<div class="field">
<label for="invite-locale">${l('cpEmailLanguage')}</label>
<select id="invite-locale" name="locale">
<option value="">${l('cpStoreDefault')}</option>
${LOCALES.map((loc) => html`<option value="${loc}" lang="${loc}">${LANGUAGE_NAMES[loc]}</option>`)}
</select>
</div>
<div class="field">
<label for="invite-directory">${l('cpDirectory')}</label>
<select id="invite-directory" name="directory">
<option value="">${l('cpDirectoryPassword')}</option>
</select>
</div>
<div class="dialog-actions">
<button type="submit" value="send">${l('cpSendInvitations')}</button>
<button type="button" class="secondary" data-close>${l('cpClose')}</button>
</div>
<section id="invite-results" aria-labelledby="invite-results-title" hidden tabindex="-1">
<h3 id="invite-results-title">${l('cpResults')}</h3>
<p id="invite-counts"></p>
<ul class="results"></ul>
</section>
</form>
</dialog>`
}

export function appsSection(c: Ctx): Html {
  const l = (key: MessageKey) => t(c.locale, key)
  return html`<div data-page="apps" data-api="${c.api}">
${table(c, {
  list: 'apps',
  label: l('navApps'),
  columns: ['colName', 'cpAppType', 'cpClientId', 'cpRedirectUris', 'cpActions'],
})}
</div>
<section aria-labelledby="register-title" class="panel">
<h2 id="register-title">${l('cpRegisterApp')}</h2>
<form id="app-form" novalidate>
${formAlert()}
${field(c, { id: 'app-name', name: 'name', label: l('colName'), attrs: html` required` })}
<div class="field">
<label for="app-type">${l('cpAppType')}</label>
<select id="app-type" name="type">
${(['web', 'spa', 'native', 'machine'] as const).map((type) => html`<option value="${type}">${l(`cpType_${type}`)}</option>`)}
</select>
</div>
${textarea(c, { id: 'app-redirects', name: 'redirectUris', label: l('cpRedirectUris'), hint: l('cpOnePerLine'), rows: 3 })}
${field(c, { id: 'app-product', name: 'product', label: l('cpProduct'), optional: true })}
${field(c, { id: 'app-launch', name: 'launchUrl', label: l('cpLaunchUrl'), type: 'url', hint: l('cpLaunchUrlHint'), optional: true })}
<div class="field checkbox" data-machine-only>
<input id="app-admin-api" name="adminApi" type="checkbox" aria-describedby="app-admin-api-hint">
<label for="app-admin-api">${l('cpAdminApi')}</label>
<p class="hint" id="app-admin-api-hint">${l('cpAdminApiHint')}</p>
</div>
<div><button type="submit">${l('cpRegister')}</button></div>
</form>
</section>
<dialog id="secret-dialog" aria-labelledby="secret-title">
<h2 id="secret-title"></h2>
<p>${l('cpSecretOnce')}</p>
<dl class="secret-pair">
<dt>${l('cpClientId')}</dt><dd><code id="secret-client"></code></dd>
<dt><label for="secret-value">${l('cpClientSecret')}</label></dt>
<dd><input id="secret-value" type="text" readonly class="secret"></dd>
</dl>
<div class="dialog-actions"><button type="button" data-close>${l('cpSecretDone')}</button></div>
</dialog>`
}

export function templatesSection(c: Ctx): Html {
  const l = (key: MessageKey) => t(c.locale, key)
  return html`<div data-page="templates" data-api="${c.api}">
<form id="template-pick" class="inline-form">
<div class="field">
<label for="template-name">${l('cpTemplate')}</label>
<select id="template-name" name="name">
${MAIL_TEMPLATES.map((name) => html`<option value="${name}" data-placeholders="${PLACEHOLDERS[name].join(' ')}">${l(`cpTpl_${name}`)}</option>`)}
</select>
</div>
<div class="field">
<label for="template-locale">${l('cpLanguage')}</label>
<select id="template-locale" name="locale">
${LOCALES.map((loc) => html`<option value="${loc}"${loc === c.locale ? html` selected` : ''}>${LANGUAGE_NAMES[loc]}</option>`)}
</select>
</div>
</form>
<div class="template-editor">
<form id="template-form" novalidate>
${formAlert()}
${field(c, { id: 'template-subject', name: 'subject', label: l('cpSubject') })}
${textarea(c, { id: 'template-text', name: 'text', label: l('cpTextVersion'), rows: 8 })}
${textarea(c, { id: 'template-html', name: 'html', label: l('cpHtmlVersion'), rows: 12 })}
<p class="hint">${l('cpPlaceholders')} <span id="template-placeholders"></span></p>
<div class="dialog-actions">
<button type="submit">${l('cpSave')}</button>
<button type="button" class="secondary" id="template-reset">${l('cpResetTemplate')}</button>
</div>
</form>
<section aria-labelledby="preview-title" class="preview">
<h2 id="preview-title">${l('cpPreview')}</h2>
<p class="console-state" role="status" data-state-for="preview"></p>
<p class="preview-subject"><strong>${l('cpSubject')}:</strong> <span id="preview-subject"></span></p>
<iframe id="preview-frame" title="${l('cpPreviewFrame')}" sandbox="allow-same-origin"></iframe>
<h3 id="preview-text-title">${l('cpTextVersion')}</h3>
<pre id="preview-text" class="mail-body" tabindex="0" aria-labelledby="preview-text-title"></pre>
</section>
</div>
</div>`
}

export function termsSection(c: Ctx): Html {
  const l = (key: MessageKey) => t(c.locale, key)
  return html`<div data-page="terms" data-api="${c.api}">
<h2 id="terms-versions">${l('cpTermsVersions')}</h2>
${table(c, {
  list: 'terms',
  label: l('cpTermsVersions'),
  columns: ['cpVersion', 'cpTitle', 'cpPublishedAt', 'cpAcceptances'],
})}
</div>
<section aria-labelledby="publish-title" class="panel">
<h2 id="publish-title">${l('cpPublishTerms')}</h2>
<form id="terms-form" novalidate>
${formAlert()}
${field(c, { id: 'terms-title', name: 'title', label: l('cpTitle'), attrs: html` required` })}
${textarea(c, { id: 'terms-text', name: 'text', label: l('cpTermsText'), rows: 8 })}
${field(c, { id: 'terms-url', name: 'documentUrl', label: l('cpTermsUrl'), type: 'url', optional: true })}
<div><button type="submit">${l('cpPublish')}</button></div>
</form>
</section>`
}

const DURATIONS = [
  [
    'invitations',
    ['invitationTtl', 'resendCooldown', 'reminderInterval', 'warnings.yellow', 'warnings.red'],
  ],
  ['members', ['retention', 'auditRetention']],
  ['tokens', ['tokens.accessTokenTtl', 'tokens.idTokenTtl', 'tokens.refreshTokenTtl']],
] as const

export function settingsSection(c: Ctx): Html {
  const l = (key: MessageKey) => t(c.locale, key)
  const duration = (name: string) =>
    field(c, {
      id: `set-${name.replace('.', '-')}`,
      name,
      label: l(`cpSet_${name}` as MessageKey),
      hint: l('cpDurationHint'),
    })
  const group = (key: (typeof DURATIONS)[number][0]) =>
    DURATIONS.find(([k]) => k === key)?.[1] ?? []
  return html`<form id="settings-form" data-page="settings" data-api="${c.api}" novalidate>
<p class="console-state" role="status" data-state-for="settings">${l('listNeedsScript')}</p>
${formAlert()}
<fieldset>
<legend>${l('cpGroupInvitations')}</legend>
${group('invitations').map(duration)}
</fieldset>
<fieldset>
<legend>${l('cpGroupMembers')}</legend>
${group('members').map(duration)}
${field(c, { id: 'set-defaultGroups', name: 'defaultGroups', label: l('cpSet_defaultGroups'), hint: l('cpCommaHint') })}
<div class="field">
<label for="set-defaultLocale">${l('cpSet_defaultLocale')}</label>
<select id="set-defaultLocale" name="defaultLocale">
${LOCALES.map((loc) => html`<option value="${loc}">${LANGUAGE_NAMES[loc]}</option>`)}
</select>
</div>
<div class="field">
<label class="checkbox"><input type="checkbox" id="set-termsRequired" name="termsRequired"> ${l('cpSet_termsRequired')}</label>
</div>
</fieldset>
<fieldset>
<legend>${l('cpGroupTokens')}</legend>
${field(c, { id: 'set-passwordPolicy-minLength', name: 'passwordPolicy.minLength', label: l('cpSet_passwordPolicy.minLength'), type: 'number', attrs: html` min="6" max="128" inputmode="numeric"` })}
${group('tokens').map(duration)}
</fieldset>
<div><button type="submit">${l('cpSave')}</button></div>
</form>`
}

/**
 * Import (seeds 000 and 002: "import users via a CSV file", "drop it in the tile"): the template
 * of this store's columns, a file dropped or picked, its progress as the job applies it, and the
 * per-row report; the earlier imports below.
 */
export function importsSection(c: Ctx): Html {
  const l = (key: MessageKey) => t(c.locale, key)
  return html`<div data-page="imports" data-api="${c.api}">
<section class="panel" aria-labelledby="import-title">
<h2 id="import-title">${l('imTitle')}</h2>
<p class="hint">${l('imIntro')}</p>
<p><button type="button" class="secondary" data-download="${c.api}/imports/template">${l('imTemplate')}</button>
<span class="form-errors error" role="alert" data-download-status></span></p>
<form id="import-form" novalidate>
${formAlert()}
<div class="field import-drop" id="import-drop">
<label for="import-file">${l('imFile')}</label>
<p class="hint" id="import-file-hint">${l('imDropHint')}</p>
<input id="import-file" name="file" type="file" accept=".csv,text/csv" aria-describedby="import-file-hint">
</div>
<div><button type="submit">${l('imStart')}</button></div>
</form>
<div id="import-progress" hidden>
<p id="import-status" role="status" aria-live="polite"></p>
<progress id="import-bar" max="1" value="0" aria-labelledby="import-status"></progress>
<p id="import-counts"></p>
<p><button type="button" class="secondary" id="import-report" data-download="" hidden>${l('imReport')}</button>
<span class="form-errors error" role="alert" data-download-status></span></p>
</div>
</section>
<h2 id="imports-earlier">${l('imEarlier')}</h2>
${table(c, {
  list: 'imports',
  label: l('imEarlier'),
  columns: ['imFile', 'colStatus', 'imRows', 'imStarted', 'cpActions'],
})}
</div>`
}

export function auditSection(c: Ctx): Html {
  const l = (key: MessageKey) => t(c.locale, key)
  return html`<div data-page="audit" data-api="${c.api}">
<form id="audit-filters" class="filters" novalidate>
${formAlert()}
${field(c, { id: 'audit-actor', name: 'actor', label: l('cpActor') })}
${field(c, { id: 'audit-subject', name: 'subject', label: l('cpSubjectId') })}
${field(c, { id: 'audit-action', name: 'action', label: l('cpAction'), hint: l('cpActionHint') })}
${field(c, { id: 'audit-since', name: 'since', label: l('cpSince'), type: 'datetime-local' })}
${field(c, { id: 'audit-until', name: 'until', label: l('cpUntil'), type: 'datetime-local' })}
<div class="filter-submit"><button type="submit">${l('cpFilter')}</button></div>
</form>
${table(c, {
  list: 'audit',
  label: l('navAudit'),
  columns: ['cpWhen', 'cpWho', 'cpWhat', 'cpOn', 'cpFromAddress'],
})}
<p><button type="button" class="secondary" data-more="audit" hidden>${l('cpLoadMore')}</button></p>
</div>`
}

/** The confirmation every destructive action asks for, and the page's announcements. */
export function sharedParts(c: Ctx): Html {
  const l = (key: MessageKey) => t(c.locale, key)
  return html`<p id="console-notice" class="console-notice" role="status" aria-live="polite"></p>
<dialog id="confirm-dialog" aria-labelledby="confirm-title" aria-describedby="confirm-text">
<h2 id="confirm-title">${l('cpConfirmTitle')}</h2>
<p id="confirm-text"></p>
<div class="dialog-actions">
<button type="button" data-confirm>${l('cpConfirm')}</button>
<button type="button" class="secondary" data-close>${l('cpCancel')}</button>
</div>
</dialog>`
}
