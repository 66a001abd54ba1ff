import { describe, expect, it } from 'vitest'
import { useGateway } from '../support/harness.js'
import { PASSWORD, pageHelpers } from '../support/pages.js'

// Issue 11 and seed 004: "The email will route the user to a sign up page where they can provide
// additional information for their account and set their password."
const gw = useGateway()
const { browser, store, invite } = pageHelpers(gw)

const fieldsSetting = {
  profileFields: [
    { field: 'firstName', required: true },
    { field: 'lastName', required: true },
    { field: 'phone', required: false },
    { field: 'jobTitle', required: false },
  ],
}
// Scoped to the store's own user database: other files of the worker invite the same addresses.
const user = (tenant: { databaseDirectoryId: string | null }, email: string) =>
  gw.db
    .selectFrom('users')
    .selectAll()
    .where('directory_id', '=', tenant.databaseDirectoryId ?? '')
    .where('email', '=', email)
    .executeTakeFirstOrThrow()

describe('the activation page asks for the profile fields the store wants', () => {
  it('shows them prefilled from the invitation, and saves what the person changes', async () => {
    const { tenant, host } = await store(fieldsSetting)
    const { token } = await invite(tenant, 'ada@example.com', {
      firstName: 'Ada',
      phone: '+32 2 555 01 01',
    })
    const b = browser(host)
    const form = await b.get(`/invite/${token}`)
    expect(form.text).toMatch(
      /<input id="profile-firstName" name="firstName"[^>]*value="Ada" required/,
    )
    expect(form.text).toMatch(/<input id="profile-lastName" name="lastName"[^>]*value="" required/)
    expect(form.text).toMatch(
      /<input id="profile-phone" name="phone" type="tel"[^>]*value="\+32 2 555 01 01"/,
    )
    expect(form.text).toContain('Job title <span class="hint">(optional)</span>')

    const done = await b.submit(`/invite/${token}`, {
      firstName: 'Ada',
      lastName: 'Lovelace',
      phone: '+32 2 555 01 02',
      jobTitle: 'Analyst',
      password: PASSWORD,
      password_confirm: PASSWORD,
    })
    expect(done.status).toBe(303)
    expect(await user(tenant, 'ada@example.com')).toMatchObject({
      first_name: 'Ada',
      last_name: 'Lovelace',
      phone: '+32 2 555 01 02',
      job_title: 'Analyst',
    })
  })

  it('refuses a missing required field or a bad phone without spending the link, next to the field', async () => {
    const { tenant, host } = await store(fieldsSetting)
    const { token } = await invite(tenant, 'bob@example.com', { locale: 'fr' })
    const b = browser(host)
    const refused = await b.submit(
      `/invite/${token}`,
      {
        firstName: 'Bob',
        lastName: '  ',
        phone: 'call me',
        password: PASSWORD,
        password_confirm: PASSWORD,
      },
      `/invite/${token}`,
    )
    expect(refused.status).toBe(422)
    expect(refused.text).toContain(
      '<p class="error" id="profile-lastName-error">Remplissez ce champ.</p>',
    )
    expect(refused.text).toContain('id="profile-phone-error"')
    expect(refused.text).toMatch(/name="firstName"[^>]*value="Bob"/) // what was typed stays
    expect((await user(tenant, 'bob@example.com')).last_name).toBeNull()
    const retry = await b.submit(`/invite/${token}`, {
      firstName: 'Bob',
      lastName: 'Builder',
      password: PASSWORD,
      password_confirm: PASSWORD,
    })
    expect(retry.status).toBe(303) // the link was not spent by the refusal
    expect((await user(tenant, 'bob@example.com')).last_name).toBe('Builder')
  })

  it('is refused as a setting when a field is unknown or listed twice', async () => {
    const { tenant } = await store()
    const { updateSettings } = await import('../../src/tenants/tenants.js')
    const patch = (profileFields: unknown) =>
      updateSettings(gw.db, tenant, { profileFields }, gw.config.passwordPolicies)
    await expect(patch([{ field: 'shoeSize', required: true }])).rejects.toThrow()
    await expect(
      patch([
        { field: 'phone', required: true },
        { field: 'phone', required: false },
      ]),
    ).rejects.toThrow()
  })
})
