import { durationMs } from '../lib/duration.js'
import type { TenantSettings } from '../tenants/settings.js'
import type { Invitation } from './invitations.queries.js'

export const INVITATION_STATUSES = ['pending', 'expired', 'accepted', 'revoked'] as const
export type InvitationStatus = (typeof INVITATION_STATUSES)[number]
export type Warning = 'yellow' | 'red' | null

type Row = Pick<Invitation, 'status' | 'expires_at' | 'last_sent_at'>

export function invitationStatus(row: Row, now: Date): InvitationStatus {
  if (row.status === 'pending' && row.expires_at <= now) return 'expired'
  return row.status
}

/** The status colours of the seeds: yellow from 7 days before expiry, red from 3 (tenant settings). */
export function invitationWarning(row: Row, settings: TenantSettings, now: Date): Warning {
  if (invitationStatus(row, now) !== 'pending') return null
  const left = row.expires_at.getTime() - now.getTime()
  if (left <= durationMs(settings.warnings.red)) return 'red'
  if (left <= durationMs(settings.warnings.yellow)) return 'yellow'
  return null
}

export const resendAvailableAt = (row: Row, settings: TenantSettings) =>
  new Date(row.last_sent_at.getTime() + durationMs(settings.resendCooldown))
