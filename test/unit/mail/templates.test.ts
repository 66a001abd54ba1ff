import { cpSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import {
  checkTemplate,
  formatDate,
  loadTemplates,
  MAIL_TEMPLATES,
  PLACEHOLDERS,
  renderMail,
} from '../../../src/mail/templates.js'
import { LOCALES } from '../../../src/lib/locales.js'

const DIR = fileURLToPath(new URL('../../../config/email-templates', import.meta.url))
const defaults = loadTemplates(DIR)
const link = 'https://shop.localhost/activate?token=abc&x=1'
const vars = {
  tenantName: 'Shop',
  firstName: 'Ada',
  email: 'ada@example.test',
  link,
  expiresAt: '2026-12-05T14:30:00.000Z',
  requesterEmail: 'grace@example.test',
}
const cases = MAIL_TEMPLATES.flatMap((name) => LOCALES.map((locale) => [name, locale] as const))

describe('default email templates', () => {
  it.each(cases)('%s.%s renders completely', (name, locale) => {
    const mail = renderMail(defaults[name][locale], vars, locale)
    for (const part of [mail.subject, mail.text, mail.html]) {
      expect(part).not.toContain('{{')
      expect(part).not.toContain('}}')
    }
    expect(mail.subject.length).toBeGreaterThan(5)
    expect(mail.subject).toContain('Shop')
    expect(mail.text).toContain(link)
    expect(mail.html).toContain(`href="https://shop.localhost/activate?token=abc&amp;x=1"`)
    expect(mail.html).toContain(`lang="${locale}"`)
    expect(mail.html).not.toMatch(/<img|src=|<script/i)
    if (PLACEHOLDERS[name].includes('expiresAt')) expect(mail.text).toContain('2026')
    if (name === 'access_request') expect(mail.text).toContain('grace@example.test')
  })

  it.each(cases)('%s.%s greets by email when there is no first name', (name, locale) => {
    const mail = renderMail(defaults[name][locale], { ...vars, firstName: '' }, locale)
    const greeting = mail.text.split('\n')[0]
    expect(greeting).toMatch(/^(Hello|Bonjour|Hallo) ada@example\.test,$/)
  })

  it('names every missing file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'templates-'))
    try {
      cpSync(DIR, dir, { recursive: true })
      rmSync(join(dir, 'reminder.nl.html'))
      rmSync(join(dir, 'invitation.de.subject.txt'))
      expect(() => loadTemplates(dir)).toThrow(/invitation\.de\.subject\.txt, reminder\.nl\.html/)
    } finally {
      rmSync(dir, { recursive: true })
    }
  })
})

describe('renderMail', () => {
  const template = {
    subject: 'Hi {{firstName}} from {{tenantName}}',
    text: 'Hi {{firstName}}, {{link}} {{nope}}',
    html: '<p title="{{firstName}}">Hi {{ firstName }}</p><a href="{{link}}">go</a>',
  }

  it('escapes values in html and keeps them raw in text', () => {
    const mail = renderMail(template, { firstName: '<b>&"\'', link }, 'en')
    expect(mail.html).toContain('Hi &lt;b&gt;&amp;&quot;&#39;</p>')
    expect(mail.html).toContain('title="&lt;b&gt;&amp;&quot;&#39;"')
    expect(mail.html).not.toContain('<b>')
    expect(mail.text).toContain(`Hi <b>&"', ${link}`)
  })

  it('keeps the subject on one line whatever the values (header injection)', () => {
    const mail = renderMail(
      { ...template, subject: 'A\r\n{{tenantName}}\u2028x' },
      { tenantName: 'Shop\r\nBcc: evil@x.test\u0000\u0085' },
      'en',
    )
    expect(mail.subject).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/)
    expect(mail.subject).toBe('A Shop Bcc: evil@x.test x')
  })

  it('renders unknown placeholders as nothing and never expands a value again', () => {
    const mail = renderMail(template, { firstName: '{{link}}', link }, 'en')
    expect(mail.text).toBe(`Hi {{link}}, ${link} `)
  })

  it('formats expiresAt for the locale', () => {
    const expires = { subject: 'x', text: '{{expiresAt}}', html: '{{link}}' }
    const at = '2026-12-05T14:30:00.000Z'
    expect(renderMail(expires, { expiresAt: at }, 'fr').text).toBe('5 décembre 2026 à 14:30 UTC')
    expect(renderMail(expires, { expiresAt: at }, 'de').text).toBe(formatDate(at, 'de'))
    expect(formatDate(at, 'nl')).toContain('december')
    expect(formatDate(at, 'not a locale!')).toContain('2026')
  })
})

describe('checkTemplate', () => {
  const ok = {
    subject: 'Welcome to {{tenantName}}',
    text: '{{link}}',
    html: '<a href="{{link}}">go</a>',
  }

  it('accepts the placeholders of the template', () => {
    expect(checkTemplate(ok, 'invitation')).toEqual([])
  })

  it('flags unknown and malformed placeholders, a multi-line subject and a missing link', () => {
    const problems = checkTemplate(
      {
        subject: 'Hi {{password}}\nthere',
        text: 'Expires {{expiresAt}} {{ not-a-name }} {{link',
        html: '<p>no link</p>',
      },
      'access_request',
    )
    expect(problems).toEqual([
      { field: 'subject', message: expect.stringContaining('unknown placeholder {{password}}') },
      { field: 'text', message: expect.stringContaining('unknown placeholder {{expiresAt}}') },
      { field: 'text', message: '{{ not-a-name }} is not a placeholder' },
      { field: 'text', message: 'a "{{" is never closed with "}}"' },
      { field: 'subject', message: 'the subject must be a single line' },
      { field: 'text', message: 'the mail must contain {{link}}' },
      { field: 'html', message: 'the mail must contain {{link}}' },
    ])
  })
})
