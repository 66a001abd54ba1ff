import * as z from 'zod'
import type { Db, Tx } from '../db/database.js'
import * as queries from './invitations.queries.js'
import { invitationStatus } from './status.js'

// Invitations into an enterprise directory (seed 001: per invitee, the custom user database or
// the company's directory), as the enterprise sign-in reads and accepts them. Their link only
// starts the directory's sign-in; the sign-in whose IdP vouches for the person accepts them.

export type DirectoryInvitation = NonNullable<Awaited<ReturnType<typeof queries.findInvitation>>>

/** The invitation the sign-in was started for, if it is one into `directoryId` and still usable. */
export async function usableDirectoryInvitation(
  db: Db,
  input: { tenantId: string; directoryId: string; invitationId: string },
  now: Date,
): Promise<DirectoryInvitation | undefined> {
  if (!z.uuid().safeParse(input.invitationId).success) return undefined
  const invitation = await queries.findInvitation(db, input.tenantId, input.invitationId)
  if (!invitation || invitation.invitation_directory_id !== input.directoryId) return undefined
  return invitationStatus(invitation, now) === 'pending' ? invitation : undefined
}

/** The usable invitation of this user of the directory at this tenant, if an admin made one. */
export const pendingDirectoryInvitation = (
  db: Db,
  input: { tenantId: string; directoryId: string; userId: string },
  now: Date,
): Promise<DirectoryInvitation | undefined> =>
  queries.findPendingDirectoryInvitation(db, input, now)

/** Pending and unexpired becomes accepted, once: of two sign-ins racing, one gets it. */
export async function claimDirectoryInvitation(
  tx: Tx,
  input: { tenantId: string; invitationId: string },
  now: Date,
): Promise<boolean> {
  return (
    (await queries.claimInvitationById(tx, input.tenantId, input.invitationId, now)) !== undefined
  )
}
