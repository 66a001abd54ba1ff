import { describe, expect, it } from 'vitest'
import { acceptTerms } from '../../src/identity/terms.js'
import { tenantWithKey } from '../support/admin-api.js'
import { consoleHelpers } from '../support/console.js'
import { useGateway } from '../support/harness.js'

// Issue 11, "Terms versions with acceptances": the console's Terms page offers, per version,
// "Who accepted", loaded from GET .../terms/versions/{version}/acceptances with the session.
const gw = useGateway()
const h = consoleHelpers(gw)

const messagesOf = (text: string) =>
  JSON.parse(
    /<script type="application\/json" id="console-messages">([^<]*)<\/script>/.exec(text)?.[1] ??
      'null',
  ) as Record<string, string>

describe('the Terms page says who accepted each version', () => {
  it('hands its script the "Who accepted" words in the four languages', async () => {
    const { tenant, host } = await h.store()
    const b = await h.signedIn(tenant, host, 'terms-admin@example.com')
    const words = ['Who accepted', 'Qui l’a acceptée', 'Wie heeft aanvaard', 'Wer hat akzeptiert']
    for (const [i, lang] of ['en', 'fr', 'nl', 'de'].entries()) {
      const page = await b.get(`/admin/terms?lang=${lang}`)
      expect(page.status).toBe(200)
      expect(page.text).toContain('data-page="terms"')
      expect(messagesOf(page.text).cpWhoAccepted).toBe(words[i])
    }
  })

  it("lists the admin's own acceptance through the console session, CSRF header required, another tenant's 404", async () => {
    const { tenant, call } = await h.adminConsole('accepting-admin@example.com')
    expect(
      (await call('put', `/tenants/${tenant.slug}/terms`).send({ title: 'T', text: 'x' })).status,
    ).toBe(201)
    const { id } = await gw.db
      .selectFrom('memberships')
      .select('id')
      .where('tenant_id', '=', tenant.id)
      .executeTakeFirstOrThrow()
    await acceptTerms(gw.db, { tenantId: tenant.id, membershipId: id, version: 1 })

    const path = `/tenants/${tenant.slug}/terms/versions/1/acceptances`
    const res = await call('get', path)
    expect(res.status).toBe(200)
    expect(res.body.items).toMatchObject([{ memberId: id, email: 'accepting-admin@example.com' }])
    const versions = await call('get', `/tenants/${tenant.slug}/terms/versions`)
    expect(versions.body.versions[0].acceptances).toBe(res.body.items.length)

    const noCsrf = await call('get', path, { 'X-CSRF-Token': undefined })
    expect(noCsrf.status).toBe(403)
    const other = await tenantWithKey(gw)
    await other.api('put', '/terms').send({ title: 'Theirs', text: 'y' })
    const foreign = await call('get', `/tenants/${other.tenant.slug}/terms/versions/1/acceptances`)
    expect(foreign.status).toBe(404)
    expect(foreign.body.error).toBe('not_found')
  })
})
