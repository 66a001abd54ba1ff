import { csrfField, type PageContext, storePage } from '../http/layout.js'
import { type Html, html } from '../lib/html.js'
import { t } from '../lib/i18n.js'
import type { Locale } from '../lib/locales.js'
import type { PasswordPolicy } from '../tenants/settings.js'
import { matchLabel, problemMessage, ruleLabel } from './password-messages.js'
import { type PasswordProblem, policyRules } from './password-policy.js'

type FormContext = PageContext & { csrf: string }

const alert = (id: string, text: string | undefined) =>
  text ? html`<p class="error" role="alert" id="${id}">${text}</p>` : ''

/** What both steps of the sign-in take. */
type SignInContext = FormContext & {
  email?: string
  returnTo: string
  error?: string
  notice?: string
  /** During an app's sign-in: where "back to the app" ends it with access_denied. */
  cancel?: string | undefined
}

/**
 * A step of the sign-in: its messages, a form posting the email (described by `intro` when
 * there is one) and `fields` to /login, then `links` and the way back to the app.
 */
function signInStep(
  c: SignInContext,
  step: { intro?: string; fields?: Html; submit: string; links: Html },
): Html {
  const describedBy = [c.error && 'login-error', step.intro && 'email-intro'].filter(Boolean)
  return storePage(c, {
    title: t(c.locale, 'signIn'),
    body: html`${c.notice ? html`<p class="notice" role="status">${c.notice}</p>` : ''}
      ${alert('login-error', c.error)}
      ${step.intro ? html`<p class="message" id="email-intro">${step.intro}</p>` : ''}
      <form method="post" action="/login">
        ${csrfField(c.csrf)}
        <input type="hidden" name="return_to" value="${c.returnTo}" />
        <label for="email">${t(c.locale, 'email')}</label>
        <input id="email" name="email" type="email" autocomplete="username" required
          maxlength="254"${describedBy.length ? html` aria-describedby="${describedBy.join(' ')}"` : ''} value="${c.email ?? ''}"${c.error ? html` aria-invalid="true"` : ''} />
        ${step.fields}
        <button type="submit">${step.submit}</button>
      </form>
      ${step.links}
      ${c.cancel ? html`<p><a href="${c.cancel}">${t(c.locale, 'cancelSignIn')}</a></p>` : ''}`,
  })
}

/** The way to a forgotten password, and the hint for invited people without one yet. */
const passwordHelp = (locale: Locale) =>
  html`<p><a href="/forgot-password">${t(locale, 'forgot')}</a></p>
    <p class="hint">${t(locale, 'invitedHint')}</p>
    <p><a href="/request-access">${t(locale, 'raLink')}</a></p>`

export function loginPage(
  c: SignInContext & {
    /** After home-realm discovery: back to the email step, to use another address. */
    otherEmail?: string | undefined
  },
): Html {
  const invalid = c.error ? html` aria-invalid="true" aria-describedby="login-error"` : ''
  return signInStep(c, {
    fields: html`<label for="password">${t(c.locale, 'password')}</label>
        <input id="password" name="password" type="password" autocomplete="current-password"
          required maxlength="1024"${invalid} />`,
    submit: t(c.locale, 'signIn'),
    links: html`${c.otherEmail ? html`<p><a href="${c.otherEmail}">${t(c.locale, 'ssoOtherEmail')}</a></p>` : ''}
      ${passwordHelp(c.locale)}`,
  })
}

/**
 * Home-realm discovery's first step: the email alone. Its domain says where the person signs in
 * (their company's IdP, or the password form); nothing about whether an account exists.
 */
export function emailFirstPage(
  c: SignInContext & {
    /** A store without passwords: its company sign-ins, offered by name as well. */
    companies?: { name: string; href: string }[]
    hasPasswords: boolean
  },
): Html {
  const companies = c.companies ?? []
  return signInStep(c, {
    intro: t(c.locale, 'ssoEmailIntro'),
    submit: t(c.locale, 'continue'),
    links: html`${
      companies.length
        ? html`<ul class="companies">
            ${companies.map((d) => html`<li><a href="${d.href}">${t(c.locale, 'ssoContinueWith', { name: d.name })}</a></li>`)}
          </ul>`
        : ''
    }
      ${c.hasPasswords ? passwordHelp(c.locale) : ''}`,
  })
}

export type PasswordFormInput = {
  locale: Locale
  csrf: string
  action: string
  policy: PasswordPolicy
  submit: string
  /** Shown read-only, and tells password managers whose password this is. */
  email?: string
  problems?: PasswordProblem[]
  mismatch?: boolean
  /** A voluntary change asks for the current password: a stolen session alone cannot change it. */
  askCurrent?: boolean
  wrongCurrent?: boolean
  /** More fields before the password (the activation page's profile fields). */
  extraFields?: Html
}

/**
 * New password + confirmation, with the policy listed. The markup is the contract of
 * /assets/password-policy.js (ids, data-rule, data-password-policy); the list is useful
 * without it, and the server checks everything again.
 */
export function passwordForm(f: PasswordFormInput): Html {
  const { minLength, maxLength, requiredClasses } = f.policy
  const problems = f.problems ?? []
  const hasErrors = problems.length > 0 || f.mismatch === true
  const described = hasErrors ? 'password-errors password-rules' : 'password-rules'
  return html`${hasErrors ? errorSummary(f.locale, problems, f.mismatch) : ''}
    <form method="post" action="${f.action}"
      data-password-policy="${JSON.stringify({ minLength, maxLength, requiredClasses })}">
      ${csrfField(f.csrf)}
      ${f.email ? readOnlyEmail(f.locale, f.email) : ''}
      ${f.extraFields ?? ''}
      ${
        f.askCurrent
          ? html`${f.wrongCurrent ? html`<p class="error" role="alert">${t(f.locale, 'wrongCurrent')}</p>` : ''}
          <label for="current-password">${t(f.locale, 'currentPassword')}</label>
          <input id="current-password" name="current_password" type="password"
            autocomplete="current-password" required maxlength="1024" />`
          : ''
      }
      <label for="password">${t(f.locale, 'newPassword')}</label>
      <input id="password" name="password" type="password" autocomplete="new-password" required
        maxlength="1024" aria-describedby="${described}"${hasErrors ? html` aria-invalid="true"` : ''} />
      <label for="password-confirm">${t(f.locale, 'confirmPassword')}</label>
      <input id="password-confirm" name="password_confirm" type="password"
        autocomplete="new-password" required maxlength="1024" />
      <p id="password-rules-title">${t(f.locale, 'rulesTitle')}</p>
      <ul id="password-rules" aria-labelledby="password-rules-title">
        ${policyRules(f.policy).map((r) => html`<li data-rule="${r.code}">${ruleLabel(r, f.locale)}</li>`)}
        <li data-rule="match">${matchLabel(f.locale)}</li>
      </ul>
      <button type="submit">${f.submit}</button>
    </form>
    <script src="/assets/password-policy.js" defer></script>`
}

function errorSummary(locale: Locale, problems: PasswordProblem[], mismatch?: boolean): Html {
  return html`<div class="error" role="alert" id="password-errors">
    ${problems.length ? html`<p>${t(locale, 'rejected')}</p>` : ''}
    <ul>
      ${problems.map((p) => html`<li>${problemMessage(p, locale)}</li>`)}
      ${mismatch ? html`<li>${t(locale, 'mismatch')}</li>` : ''}
    </ul>
  </div>`
}

export const readOnlyEmail = (locale: Locale, email: string) =>
  html`<label for="email">${t(locale, 'email')}</label>
    <input id="email" name="username" type="email" autocomplete="username" readonly
      value="${email}" />`

export function passwordChangePage(
  c: FormContext & {
    policy: PasswordPolicy
    required: boolean
    problems?: PasswordProblem[]
    mismatch?: boolean
    wrongCurrent?: boolean
  },
): Html {
  return storePage(c, {
    title: t(c.locale, 'changeTitle'),
    body: html`${c.required ? html`<p class="message">${t(c.locale, 'changeRequired')}</p>` : ''}
      ${passwordForm({ ...c, askCurrent: !c.required, action: '/password/change', submit: t(c.locale, 'changeTitle') })}`,
  })
}

export function forgotPasswordPage(c: FormContext & { sent: boolean }): Html {
  const body = c.sent
    ? html`<p class="message" role="status">${t(c.locale, 'forgotSent')}</p>`
    : html`<p class="message">${t(c.locale, 'forgotIntro')}</p>
        <form method="post" action="/forgot-password">
          ${csrfField(c.csrf)}
          <label for="email">${t(c.locale, 'email')}</label>
          <input id="email" name="email" type="email" autocomplete="username" required
            maxlength="254" />
          <button type="submit">${t(c.locale, 'submit')}</button>
        </form>`
  return storePage(c, {
    title: t(c.locale, 'forgotTitle'),
    body: html`${body}
      <p><a href="/login">${t(c.locale, 'signIn')}</a></p>`,
  })
}

export function resetPasswordPage(
  c: FormContext & {
    token: string
    email: string
    policy: PasswordPolicy
    problems?: PasswordProblem[]
    mismatch?: boolean
  },
): Html {
  return storePage(c, {
    title: t(c.locale, 'changeTitle'),
    body: html`${passwordForm({
      ...c,
      action: `/reset-password/${encodeURIComponent(c.token)}`,
      submit: t(c.locale, 'changeTitle'),
    })}`,
  })
}
