import { describe, expect, it } from 'vitest'
import { acceptTerms, publishTerms } from '../../src/identity/terms.js'
import type { Tenant } from '../../src/tenants/tenants.js'
import { updateSettings } from '../../src/tenants/tenants.js'
import { addDirectory, companySignIn } from '../support/enterprise.js'
import { useGateway } from '../support/harness.js'
import { pageHelpers } from '../support/pages.js'

// A returning company member's sign-in reads who they are, their membership and the Terms they
// owe in one statement (src/sso/sign-in.ts, signInKnownMember): the Terms step must still be
// owed exactly as at a first sign-in (DESIGN.md, identity: Terms of Service versions and
// acceptances), whichever path the sign-in takes.
const gw = useGateway()
const { store } = pageHelpers(gw)

const publish = (tenant: Tenant, title: string) =>
  gw.db.transaction().execute((tx) => publishTerms(tx, tenant.id, { title, text: 'Be kind.' }))

describe('the Terms a returning company member owes', () => {
  it('owes the current version until accepted, and a newer one once published', async () => {
    const { tenant: created } = await store()
    await updateSettings(gw.db, created, { termsRequired: true }, gw.config.passwordPolicies)
    await publish(created, 'Terms 1')
    const { tenant, directory } = await addDirectory(gw, created)
    const signIn = async () => {
      const result = await companySignIn(gw, { tenant, directory })
      if (!result.ok) throw new Error(result.reason)
      return result
    }

    const first = await signIn()
    expect([first.created, first.session.pending]).toEqual([true, 'terms'])
    expect((await signIn()).session.pending).toBe('terms')
    await acceptTerms(gw.db, { tenantId: tenant.id, membershipId: first.membershipId, version: 1 })
    expect((await signIn()).session.pending).toBeNull()
    await publish(tenant, 'Terms 2')
    const newer = await signIn()
    expect([newer.created, newer.membershipId, newer.session.pending]).toEqual([
      false,
      first.membershipId,
      'terms',
    ])
  })

  it('owes nothing in a store that does not require Terms, even with Terms published', async () => {
    const { tenant: created } = await store()
    await publish(created, 'Terms 1')
    const { tenant, directory } = await addDirectory(gw, created)
    for (const created of [true, false])
      expect(await companySignIn(gw, { tenant, directory })).toMatchObject({
        ok: true,
        created,
        session: { pending: null },
      })
  })
})
