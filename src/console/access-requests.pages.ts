import { type Html, html } from '../lib/html.js'
import { type MessageKey, t } from '../lib/i18n.js'
import { type ConsoleContext, consoleFrame } from './console.pages.js'

// Issue 12: the console's access requests. A server-rendered frame; /assets/console-access.js
// fills it from the public admin API (list, approve, deny, the admin's own subscription) with
// the session's CSRF token, as the other console pages do.

/** The words the script shows, as data-l-* attributes of the page's root. */
const SCRIPT_LABELS = {
  loading: 'listLoading',
  failed: 'listFailed',
  empty: 'listEmpty',
  approve: 'arApprove',
  deny: 'arDeny',
  approveTitle: 'arApproveTitle',
  confirmDeny: 'arConfirmDeny',
  approved: 'arApproved',
  denied: 'arDenied',
  saved: 'arSubscriptionSaved',
  more: 'cpLoadMore',
} as const satisfies Record<string, MessageKey>

export function accessRequestsPage(c: ConsoleContext): Html {
  const l = (key: MessageKey) => t(c.locale, key)
  const title = l('navAccessRequests')
  const api = `/admin/api/v1/tenants/${encodeURIComponent(c.tenantSlug)}`
  // The {slots} stay for the script to fill (t() would blank them).
  const slots = new Proxy({} as Record<string, string>, { get: (_, n) => `{${String(n)}}` })
  const labels = Object.entries(SCRIPT_LABELS).map(
    ([name, key]) =>
      html` data-l-${name.replace(/[A-Z]/g, (m) => `-${m.toLowerCase()}`)}="${t(c.locale, key, slots)}"`,
  )
  return consoleFrame(c, {
    title,
    current: 'access-requests',
    head: html`<script src="/assets/console-access.js" defer></script>`,
    body: html`<h1>${title}</h1>
<div class="access-requests" data-api="${api}"${labels}>
<p class="message">${l('arIntro')}</p>
<div class="field">
<label class="checkbox"><input type="checkbox" id="ar-subscribed" disabled> ${l('arSubscription')}</label>
</div>
<p id="ar-notice" class="console-notice" role="status" aria-live="polite"></p>
<p class="console-state" role="status" data-state>${l('listNeedsScript')}</p>
<div class="table-wrap" tabindex="0" role="region" aria-label="${title}">
<table class="console-table" data-list="access-requests">
<thead><tr>${(['email', 'colName', 'arColMessage', 'arColRequested', 'cpActions'] as const).map((k) => html`<th scope="col">${l(k)}</th>`)}</tr></thead>
<tbody></tbody>
</table>
</div>
<p><button type="button" class="secondary" data-more hidden>${l('cpLoadMore')}</button></p>
<dialog id="ar-approve-dialog" aria-labelledby="ar-approve-title">
<form id="ar-approve-form" method="dialog" novalidate>
<h2 id="ar-approve-title"></h2>
<div class="form-errors error" role="alert" hidden></div>
<div class="field">
<label for="ar-role">${l('cpRole')}</label>
<input id="ar-role" name="role" type="text" value="user" list="ar-roles" autocomplete="off">
<datalist id="ar-roles"><option value="user"></option><option value="admin"></option></datalist>
</div>
<div class="field">
<label for="ar-kind">${l('peopleKind')}</label>
<select id="ar-kind" name="kind">
<option value="member">${l('peopleKindMember')}</option>
<option value="guest">${l('peopleKindGuest')}</option>
</select>
</div>
<div class="field">
<label for="ar-groups">${l('cpGroups')} <span class="optional">(${l('cpOptional')})</span></label>
<p class="hint" id="ar-groups-hint">${l('cpCommaHint')}</p>
<input id="ar-groups" name="groups" type="text" aria-describedby="ar-groups-hint">
</div>
<fieldset class="field" id="ar-products">
<legend>${l('cpProducts')} <span class="optional">(${l('cpOptional')})</span></legend>
<p class="hint" data-products-empty>${l('cpNoProducts')}</p>
</fieldset>
<div class="field">
<label for="ar-organization">${l('cpOrganization')} <span class="optional">(${l('cpOptional')})</span></label>
<input id="ar-organization" name="organization" type="text">
</div>
<div class="dialog-actions">
<button type="submit" value="approve">${l('arApproveSubmit')}</button>
<button type="button" class="secondary" data-close>${l('cpClose')}</button>
</div>
</form>
</dialog>
<dialog id="ar-confirm-dialog" aria-labelledby="ar-confirm-title" aria-describedby="ar-confirm-text">
<h2 id="ar-confirm-title">${l('cpConfirmTitle')}</h2>
<p id="ar-confirm-text"></p>
<div class="dialog-actions">
<button type="button" data-confirm>${l('arDeny')}</button>
<button type="button" class="secondary" data-close>${l('cpCancel')}</button>
</div>
</dialog>
</div>`,
  })
}
