import * as z from 'zod'
import { Duration, DurationAtMost, durationSeconds } from '../lib/duration.js'
import { Locale } from '../lib/locales.js'

export const CHARACTER_CLASSES = ['lower', 'upper', 'digit', 'symbol', 'digit_or_symbol'] as const

// Composition rules are opt-in (NIST SP 800-63B-4); length, blocklist and context checks are not.
export const PasswordPolicyFields = z.strictObject({
  minLength: z.number().int().min(6).max(128),
  maxLength: z.number().int().min(64).max(1024),
  requiredClasses: z.array(z.enum(CHARACTER_CLASSES)).max(5),
  blockCommon: z.boolean(),
})
export const PasswordPolicy = PasswordPolicyFields.refine((p) => p.minLength <= p.maxLength, {
  message: 'minLength must not exceed maxLength',
})
export type PasswordPolicy = z.infer<typeof PasswordPolicy>

const Store = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('web') }),
  z.strictObject({ kind: z.literal('native'), iosUrl: z.url(), androidUrl: z.url() }),
])

// Lifetimes of what the tenant's OpenID Provider issues; the refresh token's slides with use.
// Ceilings: a bearer token is not revocable by those who hold a copy (RFC 9700 4.14: keep access
// tokens short), and no refresh token outlives its grant (one year, tokens/provider.ts).
export const TokenSettings = z.strictObject({
  accessTokenTtl: DurationAtMost('1d'),
  idTokenTtl: DurationAtMost('1d'),
  refreshTokenTtl: DurationAtMost('365d'),
  signingAlg: z.enum(['RS256', 'ES256']),
})
export type TokenSettings = z.infer<typeof TokenSettings>
export const DEFAULT_TOKEN_SETTINGS: TokenSettings = {
  accessTokenTtl: '10m',
  idTokenTtl: '10m',
  refreshTokenTtl: '30d',
  signingAlg: 'RS256',
}

// The audit log is kept a year unless the tenant says otherwise. Never under 30 days: an
// admin key must not be able to shorten it and have the purge erase its own tracks at once.
export const AuditRetention = DurationAtMost('3650d').refine(
  (d) => !Duration.safeParse(d).success || durationSeconds(d) >= durationSeconds('30d'),
  'at least 30d',
)
export const DEFAULT_AUDIT_RETENTION = '365d'

// Seed 004: the profile fields the activation page asks for (invitations/profile-fields.ts).
export const PROFILE_FIELDS = ['firstName', 'lastName', 'phone', 'jobTitle'] as const
export type ProfileField = (typeof PROFILE_FIELDS)[number]
export const ProfileFieldsSetting = z
  .array(z.strictObject({ field: z.enum(PROFILE_FIELDS), required: z.boolean() }))
  .max(PROFILE_FIELDS.length)
  .refine((list) => new Set(list.map((f) => f.field)).size === list.length, {
    message: 'each profile field at most once',
  })
export type ProfileFieldsSetting = z.infer<typeof ProfileFieldsSetting>

export const MemberRules = z.strictObject({
  requireGroup: z.boolean(),
  organizationRequiredFor: z.array(z.string().trim().min(1).max(50)).max(50),
})
export type MemberRules = z.infer<typeof MemberRules>

export const TenantSettingsShape = z.strictObject({
  // An invitation is a password-setting link in a mailbox: months at most.
  invitationTtl: DurationAtMost('90d'),
  resendCooldown: DurationAtMost('7d'),
  reminderInterval: DurationAtMost('30d'),
  // GDPR storage limitation: a never-activated account is not kept for years.
  retention: DurationAtMost('730d'),
  warnings: z.strictObject({ yellow: DurationAtMost('90d'), red: DurationAtMost('90d') }),
  passwordPolicy: PasswordPolicy,
  termsRequired: z.boolean(),
  store: Store,
  defaultLocale: Locale,
  // Seeds: "by default, all users that you invite to a store join the group Everybody".
  defaultGroups: z.array(z.string().trim().min(1).max(100)).max(20),
  // Tenants created before the OpenID Provider existed get the defaults.
  tokens: TokenSettings.default(DEFAULT_TOKEN_SETTINGS),
  // Tenants created before the audit log existed get the default.
  auditRetention: AuditRetention.default(DEFAULT_AUDIT_RETENTION),
  // Seed 004: the profile fields the activation page asks for (none before this setting).
  profileFields: ProfileFieldsSetting.default([]),
  // Seed 003: "you must add at least one user group" (besides Everybody), and "managers need a
  // store" (an organization). Checked by src/members/rules.ts on invitations and member edits.
  memberRules: MemberRules.default({ requireGroup: false, organizationRequiredFor: [] }),
})

// Threshold validation: a fresh invitation is never yellow on the day it is sent. The yellow
// warning starts at least a day after the mail (half the lifetime, for links of under 2 days).
const DAY_SECONDS = 86_400
export const YELLOW_TOO_EARLY =
  'the yellow warning must start at least a day after the invitation is sent: at most invitationTtl minus 1d (half of invitationTtl when it is under 2d)'
export function freshSeconds(invitationTtl: string): number {
  return Math.min(DAY_SECONDS, durationSeconds(invitationTtl) / 2)
}
function leavesFreshInvitations(s: { invitationTtl: string; warnings: { yellow: string } }) {
  const ttl = durationSeconds(s.invitationTtl)
  return ttl - durationSeconds(s.warnings.yellow) >= freshSeconds(s.invitationTtl)
}

export const TenantSettings = TenantSettingsShape.refine(
  (s) => durationSeconds(s.warnings.red) <= durationSeconds(s.warnings.yellow),
  {
    message: 'the red warning must not come before the yellow one',
    path: ['warnings', 'red'],
  },
).refine(leavesFreshInvitations, {
  message: YELLOW_TOO_EARLY,
  path: ['warnings', 'yellow'],
})
export type TenantSettings = z.infer<typeof TenantSettings>
