import { describe, expect, it } from 'vitest'
import { reinvite } from '../../src/invitations/lifecycle.js'
import { remindPendingInvitations } from '../../src/jobs/remind-invitations.js'
import { listMailbox } from '../../src/mail/outbox.js'
import { tenantWithKey } from '../support/admin-api.js'
import { addDirectory } from '../support/enterprise.js'
import { useGateway } from '../support/harness.js'
import { inviteMembers } from '../support/invite.js'
import { DAY } from '../support/pages.js'

// Seed 001: the mail of an invitation into a company directory (first mail, reminder, reinvite)
// leads to the company's sign-in and says so; it never asks to choose a password. The reminder
// job scans every tenant: this file has a database of its own.
const gw = useGateway({}, { database: 'own' })

async function partnerStore() {
  const { tenant: created } = await tenantWithKey(gw)
  return addDirectory(gw, created, { kind: 'oidc' })
}

async function inviteInto(
  tenant: Awaited<ReturnType<typeof partnerStore>>['tenant'],
  directoryId: string,
) {
  const input = { invitees: [{ email: 'bob@partner.example' }], directory: directoryId }
  const [result] = await inviteMembers(gw.db, tenant, input, { secretKey: gw.config.secretKey })
  if (result?.status !== 'invited') throw new Error('not invited')
  return { id: result.invitationId }
}

describe("the invitation's mail", () => {
  it('says to sign in with the company account, not to choose a password (invitation, reminder, reinvite)', async () => {
    const { tenant, directory } = await partnerStore()
    const { id } = await inviteInto(tenant, directory.id)
    const later = new Date(Date.now() + 3 * DAY)
    await remindPendingInvitations(gw.db, {
      secretKey: gw.config.secretKey,
      urls: gw.config,
      now: later,
    })
    await gw.db
      .transaction()
      .execute((tx) => reinvite(tx, tenant, id, { secretKey: gw.config.secretKey }))
    const keys = { secretKey: gw.config.secretKey, templates: gw.config.mailTemplates }
    const mails = await listMailbox(gw.db, { tenantId: tenant.id }, keys)
    const templates = await gw.db
      .selectFrom('outbox')
      .select('template')
      .where('tenant_id', '=', tenant.id)
      .orderBy('created_at')
      .execute()
    expect(templates.map((t) => t.template)).toEqual([
      'company_invitation',
      'company_reminder',
      'company_invitation',
    ])
    for (const mail of mails) {
      expect(mail.text).toContain('company account')
      expect(mail.text).toMatch(/\/invite\/[\w-]{43}/)
      expect(mail.text).not.toContain('choose a password')
    }
  })
})
