import { csrfField, type PageContext, storePage } from '../http/layout.js'
import { passwordForm, readOnlyEmail } from '../identity/login.pages.js'
import type { PasswordProblem } from '../identity/password-policy.js'
import { type Html, html } from '../lib/html.js'
import { t } from '../lib/i18n.js'
import type { Locale } from '../lib/locales.js'
import type { PasswordPolicy } from '../tenants/settings.js'
import {
  maxLengthOf,
  type ProfileField,
  type ProfileFieldsSetting,
  type ProfileProblem,
} from './profile-fields.js'

type InvitePage = PageContext & {
  csrf: string
  token: string
  email: string
  firstName: string | null
}

export type Platform = 'ios' | 'android' | 'unknown'

const actionOf = (token: string) => `/invite/${encodeURIComponent(token)}`

const welcome = (locale: Locale, firstName: string | null) =>
  firstName ? html`<p class="message">${t(locale, 'welcome', { name: firstName })}</p>` : ''

type ProfileForm = {
  fields: ProfileFieldsSetting
  values: Record<string, unknown>
  problems: Partial<Record<ProfileField, ProfileProblem>>
}

/** A new account: the profile fields the store asks for, and the password under its policy. */
export function activationPage(
  c: InvitePage & {
    policy: PasswordPolicy
    problems?: PasswordProblem[]
    mismatch?: boolean
    profile?: ProfileForm
  },
): Html {
  const extraFields = c.profile ? profileFields(c.locale, c.profile) : undefined
  const submit = t(c.locale, 'activateTitle')
  return storePage(c, {
    title: t(c.locale, 'activateTitle'),
    body: html`${welcome(c.locale, c.firstName)}
      ${passwordForm({ ...c, action: actionOf(c.token), submit, ...(extraFields && { extraFields }) })}`,
  })
}

const LABELS = {
  firstName: 'profileFirstName',
  lastName: 'profileLastName',
  phone: 'profilePhone',
  jobTitle: 'profileJobTitle',
} as const
const AUTOCOMPLETE = {
  firstName: 'given-name',
  lastName: 'family-name',
  phone: 'tel',
  jobTitle: 'organization-title',
}
const PROBLEMS = {
  required: 'profileRequired',
  too_long: 'profileTooLong',
  phone_invalid: 'profilePhoneInvalid',
} as const

// Seed 004: "a sign up page with additional information and a password"; prefilled from the
// invitation, each error next to its field (WCAG 3.3.1).
function profileFields(locale: Locale, form: ProfileForm): Html {
  return html`${form.fields.map(({ field, required }) => {
    const id = `profile-${field}`
    const problem = form.problems[field]
    const value = form.values[field]
    const label = t(locale, LABELS[field])
    return html`<label for="${id}">${label}${required ? '' : html` <span class="hint">${t(locale, 'profileOptional')}</span>`}</label>
      ${problem ? html`<p class="error" id="${id}-error">${t(locale, PROBLEMS[problem])}</p>` : ''}
      <input id="${id}" name="${field}" type="${field === 'phone' ? 'tel' : 'text'}"
        autocomplete="${AUTOCOMPLETE[field]}" maxlength="${maxLengthOf(field)}"
        value="${typeof value === 'string' ? value : ''}"${required ? html` required` : ''}${problem ? html` aria-invalid="true" aria-describedby="${id}-error"` : ''} />`
  })}`
}

/** The directory already knows this person (another store of the same company): prove it. */
export function existingAccountPage(c: InvitePage & { error?: string }): Html {
  const invalid = c.error ? html` aria-invalid="true" aria-describedby="invite-error"` : ''
  return storePage(c, {
    title: t(c.locale, 'activateTitle'),
    body: html`${welcome(c.locale, c.firstName)}
      <p class="message">${t(c.locale, 'existing')}</p>
      ${c.error ? html`<p class="error" role="alert" id="invite-error">${c.error}</p>` : ''}
      <form method="post" action="${actionOf(c.token)}">
        ${csrfField(c.csrf)}
        ${readOnlyEmail(c.locale, c.email)}
        <label for="password">${t(c.locale, 'password')}</label>
        <input id="password" name="password" type="password" autocomplete="current-password"
          required maxlength="1024"${invalid} />
        <button type="submit">${t(c.locale, 'signIn')}</button>
      </form>`,
  })
}

/**
 * Native stores: install the app first. The platform comes from the User-Agent, so the page
 * works without JavaScript; when it cannot tell (desktop, iPadOS posing as a Mac), both links.
 */
export function installPage(
  c: PageContext & { token: string; platform: Platform; iosUrl: string; androidUrl: string },
): Html {
  const ios = html`<li><a href="${c.iosUrl}">${t(c.locale, 'installIos')}</a></li>`
  const android = html`<li><a href="${c.androidUrl}">${t(c.locale, 'installAndroid')}</a></li>`
  return storePage(c, {
    title: t(c.locale, 'installTitle'),
    body: html`<p class="message">${t(c.locale, 'installIntro', { tenant: c.tenantName })}</p>
      <ul class="install">
        ${c.platform === 'android' ? '' : ios} ${c.platform === 'ios' ? '' : android}
      </ul>
      <p><a href="${actionOf(c.token)}?continue=1">${t(c.locale, 'continue')}</a></p>`,
  })
}

export function invalidInvitationPage(c: PageContext): Html {
  return storePage(c, {
    title: t(c.locale, 'invalidTitle'),
    body: html`<p class="message">${t(c.locale, 'inviteInvalid')}</p>`,
  })
}
