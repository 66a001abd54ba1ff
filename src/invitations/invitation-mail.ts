import type { Tx } from '../db/database.js'
import { enqueueMail, recipientOf } from '../mail/outbox.js'
import type { Tenant } from '../tenants/tenants.js'
import type { Invitation } from './invitations.queries.js'

export function invitationLink(tenant: Pick<Tenant, 'publicUrl'>, token: string): string {
  return `${tenant.publicUrl}/invite/${token}`
}

/**
 * Queues the mail that carries an invitation link (first mail, resend, reminder). Written in the
 * caller's transaction: the invitation and its mail commit together or not at all.
 */
export async function mailInvitation(
  tx: Tx,
  tenant: Tenant,
  input: {
    person: {
      email: string
      first_name: string | null
      last_name: string | null
    }
    invitation: Pick<Invitation, 'expires_at' | 'locale'>
    /** The link's token, in the clear: only the mail (sealed in the outbox) carries it. */
    token: string
    template: 'invitation' | 'reminder'
    /** The company directory the invitation names (seed 001), or null: the user database. */
    directoryId: string | null
    secretKey: string
  },
) {
  const { person, invitation } = input
  // Its link leads to the company's sign-in: the mail must not ask to choose a password.
  const template = input.directoryId ? (`company_${input.template}` as const) : input.template
  await enqueueMail(
    tx,
    {
      tenantId: tenant.id,
      template,
      locale: invitation.locale,
      to: recipientOf(person),
      data: {
        firstName: person.first_name ?? '',
        email: person.email,
        expiresAt: invitation.expires_at.toISOString(),
        storeKind: tenant.settings.store.kind,
      },
      secret: { link: invitationLink(tenant, input.token) },
    },
    input.secretKey,
  )
}
