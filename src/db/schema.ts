import type { ColumnType, Generated } from 'kysely'

// Written by hand, changed in the same commit as its migration (CONVENTIONS.md § Database).
type CreatedAt = ColumnType<Date, never, never>
type UpdatedAt = ColumnType<Date, never, Date>

export const DIRECTORY_KINDS = ['database', 'saml', 'oidc'] as const
export type DirectoryKind = (typeof DIRECTORY_KINDS)[number]

export interface TenantsTable {
  id: Generated<string>
  slug: string
  name: string
  // Read as unknown on purpose: tenants.queries.ts validates it before anyone uses it.
  settings: ColumnType<unknown, string, string>
  created_at: CreatedAt
  updated_at: UpdatedAt
}

export interface TenantHostsTable {
  host: string
  tenant_id: string
  is_primary: boolean
  /** Bound to this enterprise directory: every sign-in on the host goes straight to its IdP. */
  directory_id: ColumnType<string | null, string | null | undefined, string | null>
  created_at: CreatedAt
}

export interface DirectoriesTable {
  id: Generated<string>
  kind: DirectoryKind
  name: string
  /** The connection of an enterprise directory; validated by src/sso/connection.ts on read. */
  config: ColumnType<unknown, string | undefined, string>
  /** Sealed with SECRET_KEY (lib/seal.ts): an OIDC connection's client secret. */
  secret_sealed: Uint8Array | null
  created_at: CreatedAt
  updated_at: ColumnType<Date, Date | undefined, Date>
}

export interface TenantDirectoriesTable {
  tenant_id: string
  directory_id: string
  created_at: CreatedAt
}

export interface UsersTable {
  id: Generated<string>
  directory_id: string
  email: string
  /** lower(NFKC(email)): the key that makes an email unique per directory. */
  email_key: string
  first_name: string | null
  last_name: string | null
  phone: string | null
  job_title: string | null
  external_id: string | null
  locale: string | null
  /** An enterprise identity's IdP subject (SAML NameID, OIDC sub): its key in the directory. */
  subject: ColumnType<string | null, string | null | undefined, string | null>
  created_at: CreatedAt
  updated_at: UpdatedAt
}

export interface CredentialsTable {
  user_id: string
  directory_id: string
  password_hash: string
  /** The password policy the password was checked against. */
  policy: ColumnType<unknown, string, string>
  changed_at: ColumnType<Date, Date | undefined, Date>
  failed_logins: ColumnType<number, number | undefined, number>
  locked_until: Date | null
}

export const MEMBERSHIP_KINDS = ['member', 'guest'] as const
export type MembershipKind = (typeof MEMBERSHIP_KINDS)[number]
export const MEMBERSHIP_STATUSES = ['invited', 'active', 'disabled'] as const
export type MembershipStatus = (typeof MEMBERSHIP_STATUSES)[number]

export interface MembershipsTable {
  id: Generated<string>
  tenant_id: string
  directory_id: string
  user_id: string
  kind: ColumnType<MembershipKind, MembershipKind | undefined, MembershipKind>
  role: ColumnType<string, string | undefined, string>
  groups: ColumnType<string[], string | undefined, string>
  products: ColumnType<string[], string | undefined, string>
  organization: string | null
  status: ColumnType<MembershipStatus, MembershipStatus | undefined, MembershipStatus>
  activated_at: Date | null
  /** Written with each session it opens (sessions.queries.ts insertSession). */
  last_sign_in_at: ColumnType<Date | null, Date | null | undefined, Date | null>
  created_at: CreatedAt
  updated_at: UpdatedAt
}

export type InvitationRowStatus = 'pending' | 'accepted' | 'revoked'

export interface InvitationsTable {
  id: Generated<string>
  tenant_id: string
  membership_id: string
  token_hash: Uint8Array
  token_sealed: Uint8Array | null
  status: ColumnType<InvitationRowStatus, InvitationRowStatus | undefined, InvitationRowStatus>
  locale: string
  invited_by: string | null
  /** The enterprise directory the invited person signs in with; null: the tenant's own. */
  directory_id: ColumnType<string | null, string | null | undefined, string | null>
  expires_at: Date
  last_sent_at: ColumnType<Date, Date | undefined, Date>
  last_reminded_at: Date | null
  send_count: ColumnType<number, number | undefined, number>
  accepted_at: Date | null
  revoked_at: Date | null
  created_at: CreatedAt
}

export interface PasswordResetsTable {
  id: Generated<string>
  tenant_id: string
  directory_id: string
  user_id: string
  token_hash: Uint8Array
  expires_at: Date
  used_at: Date | null
  created_at: CreatedAt
}

export interface TermsVersionsTable {
  tenant_id: string
  version: number
  title: string
  body: string | null
  document_url: string | null
  published_at: ColumnType<Date, Date | undefined, never>
}

export interface TermsAcceptancesTable {
  tenant_id: string
  membership_id: string
  version: number
  accepted_at: ColumnType<Date, Date | undefined, never>
}

export type SessionPending = 'password_change' | 'terms'

export interface SessionsTable {
  id_hash: Uint8Array
  tenant_id: string
  membership_id: string
  pending: SessionPending | null
  /** How the person signed in (RFC 8176 values: pwd, or what the company's IdP said). */
  amr: ColumnType<string[], string | undefined, string>
  created_at: CreatedAt
  last_seen_at: ColumnType<Date, Date | undefined, Date>
  expires_at: Date
}

export type OutboxStatus = 'pending' | 'sent' | 'failed'

export interface OutboxTable {
  id: Generated<string>
  tenant_id: string
  template: string
  locale: string
  to_address: string
  to_name: string | null
  /** Non-secret values the template renders (names, the tenant's name…). */
  data: ColumnType<Record<string, string>, string | undefined, string>
  /** Sealed with SECRET_KEY (lib/seal.ts): the live link; wiped once sent. */
  secret: Uint8Array | null
  status: ColumnType<OutboxStatus, OutboxStatus | undefined, OutboxStatus>
  attempts: ColumnType<number, number | undefined, number>
  next_attempt_at: ColumnType<Date, Date | undefined, Date>
  last_error: string | null
  created_at: CreatedAt
  sent_at: Date | null
  /** The last try, sent or refused (migration 20261202_1800). */
  last_attempt_at: Date | null
}

export interface EmailTemplatesTable {
  tenant_id: string
  name: string
  locale: string
  subject: string
  text: string
  html: string
  updated_at: ColumnType<Date, Date | undefined, Date>
}

export interface RateLimitsTable {
  key: string
  points: number
  expires_at: Date
}

export interface ApiKeysTable {
  id: Generated<string>
  tenant_id: string | null
  name: string
  key_hash: Uint8Array
  prefix: string
  created_at: CreatedAt
  last_used_at: Date | null
  revoked_at: Date | null
}

export interface Database {
  tenants: TenantsTable
  tenant_hosts: TenantHostsTable
  directories: DirectoriesTable
  tenant_directories: TenantDirectoriesTable
  users: UsersTable
  credentials: CredentialsTable
  memberships: MembershipsTable
  invitations: InvitationsTable
  password_resets: PasswordResetsTable
  terms_versions: TermsVersionsTable
  terms_acceptances: TermsAcceptancesTable
  sessions: SessionsTable
  outbox: OutboxTable
  email_templates: EmailTemplatesTable
  rate_limits: RateLimitsTable
  api_keys: ApiKeysTable
  apps: AppsTable
  signing_keys: SigningKeysTable
  oidc_artefacts: OidcArtefactsTable
  sso_requests: SsoRequestsTable
  sso_replays: SsoReplaysTable
  sp_keys: SpKeysTable
  certificate_notices: CertificateNoticesTable
  audit_events: AuditEventsTable
  platform_tenant: PlatformTenantTable
  idempotency_keys: IdempotencyKeysTable
  member_groups: MemberGroupsTable
  member_roles: MemberRolesTable
  organizations: OrganizationsTable
  member_search_prefixes: MemberSearchPrefixesTable
  // Issue 12: access requests (src/access-requests/).
  access_requests: AccessRequestsTable
  access_request_notices: AccessRequestNoticesTable
  access_request_unsubscribes: AccessRequestUnsubscribesTable
  imports: ImportsTable
  import_rows: ImportRowsTable
  // Issue 13: what forward auth's per-process caches read (src/revocation/view.ts).
  revocation_events: RevocationEventsTable
}

export interface SsoRequestsTable {
  /** The SAML AuthnRequest ID, or the SHA-256 (base64url) of the OIDC state. */
  id: string
  tenant_id: string
  directory_id: string
  data: ColumnType<Record<string, unknown>, string, never>
  created_at: CreatedAt
  expires_at: Date
}

export interface SsoReplaysTable {
  directory_id: string
  assertion_id: string
  expires_at: Date
}

export type SpKeyState = 'next' | 'active' | 'retired'

export interface SpKeysTable {
  directory_id: string
  kid: string
  state: SpKeyState
  /** PEM, self-signed. */
  certificate: string
  private_sealed: Uint8Array
  not_after: Date
  created_at: CreatedAt
}

export interface CertificateNoticesTable {
  directory_id: string
  fingerprint: string
  days_before: number
  sent_at: ColumnType<Date, Date | undefined, never>
}

export type AppType = 'web' | 'native' | 'spa' | 'machine'

export interface AppsTable {
  id: Generated<string>
  tenant_id: string
  client_id: string
  name: string
  type: AppType
  redirect_uris: ColumnType<string[], string, string>
  post_logout_redirect_uris: ColumnType<string[], string, string>
  /** A guest may sign in to this app only when its membership lists this product. */
  product: string | null
  /** Where the store's home page opens the app; null: not listed there. */
  launch_url: ColumnType<string | null, string | null | undefined, string | null>
  secret_hash: Uint8Array | null
  /** A machine app that may ask for the `gateway:admin` scope and call the admin API. */
  admin_api: Generated<boolean>
  created_at: CreatedAt
  updated_at: UpdatedAt
}

export type SigningKeyState = 'next' | 'active' | 'retired'
export type SigningAlg = 'RS256' | 'ES256'

export interface SigningKeysTable {
  tenant_id: string
  kid: string
  alg: SigningAlg
  state: SigningKeyState
  public_jwk: ColumnType<Record<string, unknown>, string, string>
  private_sealed: Uint8Array
  created_at: CreatedAt
  activated_at: Date | null
  retire_after: Date | null
}

export interface OidcArtefactsTable {
  tenant_id: string
  model: string
  id: string
  payload: ColumnType<Record<string, unknown>, string, string>
  grant_id: string | null
  uid: string | null
  user_code: string | null
  consumed_at: Date | null
  expires_at: Date | null
}

export const AUDIT_ACTOR_KINDS = [
  'admin',
  'api_key',
  'cli',
  'system',
  'person',
  'anonymous',
] as const
export type AuditActorKind = (typeof AUDIT_ACTOR_KINDS)[number]

/** Append-only (a trigger refuses UPDATE, and DELETE outside the retention purge). */
export interface AuditEventsTable {
  /** bigint identity: read it as `id::text` (pg gives int8 as a string, PGlite as a number). */
  id: ColumnType<string, never, never>
  /** Null for a platform event. */
  tenant_id: string | null
  at: ColumnType<Date, Date | undefined, never>
  actor_kind: AuditActorKind
  actor_id: string | null
  actor_name: string | null
  action: string
  subject_kind: string | null
  subject_id: string | null
  subject_label: string | null
  ip: string | null
  details: ColumnType<Record<string, unknown>, string, never>
}

/** The one tenant whose admins are platform admins (src/console/platform.ts). */
export interface PlatformTenantTable {
  singleton: ColumnType<boolean, never, never>
  tenant_id: string
  created_at: CreatedAt
}

/** A request's Idempotency-Key and its first answer (null while that request still runs). */
export interface IdempotencyKeysTable {
  tenant_id: string
  key: string
  request_hash: Uint8Array
  response: ColumnType<{ status: number; body: unknown } | null, string | null, string | null>
  created_at: CreatedAt
  expires_at: Date
}

/** A tenant's groups; memberships name them in `groups` (renaming one renames it there). */
export interface MemberGroupsTable {
  id: Generated<string>
  tenant_id: string
  name: string
  description: string | null
  /** Everybody: every member is in it; neither renamed nor deleted. */
  builtin: ColumnType<boolean, boolean | undefined, never>
  created_at: CreatedAt
  updated_at: UpdatedAt
}

/** A tenant's roles; `admin` and `user` are built in. */
export interface MemberRolesTable {
  id: Generated<string>
  tenant_id: string
  name: string
  description: string | null
  builtin: ColumnType<boolean, boolean | undefined, never>
  created_at: CreatedAt
  updated_at: UpdatedAt
}

export const ORGANIZATION_KINDS = ['seller', 'customer'] as const
export type OrganizationKind = (typeof ORGANIZATION_KINDS)[number]

/** A tenant's organizations (seed 001: sellers and customers); memberships name one. */
export interface OrganizationsTable {
  id: Generated<string>
  tenant_id: string
  name: string
  kind: OrganizationKind
  external_id: string | null
  created_at: CreatedAt
  updated_at: UpdatedAt
}

/** Prefix search: one row per distinct 1-3 character prefix of a member's terms (triggers keep it). */
export interface MemberSearchPrefixesTable {
  tenant_id: string
  user_id: string
  prefix: string
  name_key: string
}

// Issue 12: access requests from the login page (src/access-requests/).
export const ACCESS_REQUEST_STATUSES = ['pending', 'approved', 'denied'] as const
export type AccessRequestStatus = (typeof ACCESS_REQUEST_STATUSES)[number]

export interface AccessRequestsTable {
  id: Generated<string>
  tenant_id: string
  email: string
  /** lower(NFKC(email)) (identity/addresses.ts): one pending request per person. */
  email_key: string
  name: string
  message: string
  /** The page's language: the requester is answered in it. */
  locale: string
  status: ColumnType<AccessRequestStatus, AccessRequestStatus | undefined, AccessRequestStatus>
  created_at: CreatedAt
  updated_at: ColumnType<Date, Date | undefined, Date>
  decided_at: Date | null
  /** Who decided: the admin's email, or the API key's / app's name. */
  decided_by: string | null
  /** The invitation an approval sent. */
  invitation_id: string | null
}

/** An admin told of a requester on a UTC day: at most one mail per (admin, requester, day). */
export interface AccessRequestNoticesTable {
  tenant_id: string
  membership_id: string
  email_key: string
  /** `YYYY-MM-DD` (UTC) when written; read back as the driver gives a date. */
  day: ColumnType<Date | string, string, never>
}

/** An admin who asked for no more access-request mail. */
export interface AccessRequestUnsubscribesTable {
  tenant_id: string
  membership_id: string
  created_at: CreatedAt
}

export const IMPORT_STATES = ['receiving', 'queued', 'running', 'done', 'failed'] as const
export type ImportState = (typeof IMPORT_STATES)[number]

/** A CSV import (issue 12): the file's rows are staged in import_rows, applied by a job. */
export interface ImportsTable {
  id: Generated<string>
  tenant_id: string
  state: ColumnType<ImportState, ImportState | undefined, ImportState>
  file_name: string | null
  /** The header as read: the canonical name of each column (null: unknown, ignored). */
  columns: ColumnType<(string | null)[], string | undefined, string>
  warnings: ColumnType<string[], string | undefined, string>
  /** Who uploaded it (AuditActor), for the audit event recorded when it finishes. */
  actor: ColumnType<Record<string, unknown>, string | undefined, string>
  total_rows: ColumnType<number, number | undefined, number>
  done_rows: ColumnType<number, number | undefined, number>
  error: string | null
  lease_owner: string | null
  lease_until: Date | null
  created_at: CreatedAt
  finished_at: Date | null
}

export interface ImportRowsTable {
  tenant_id: string
  import_id: string
  /** The file's line where the record starts (the header is line 1). */
  line: number
  email: string | null
  email_key: string | null
  /** The row's cells by canonical column; null when the record could not be read. */
  data: ColumnType<Record<string, unknown> | null, string | null, string | null>
  status: ColumnType<'pending' | 'done', 'pending' | 'done' | undefined, 'pending' | 'done'>
  outcome: string | null
  reason: string | null
}

/** Written by triggers only (migration 20261202_1500); read by src/revocation/view.ts. */
export interface RevocationEventsTable {
  /** bigint identity: read it as `id::text`. */
  id: Generated<string>
  /** The writing transaction (xid8): the readers' cursor. */
  tx: Generated<string>
  /** What a change may have ended (src/revocation/view.ts revocationKeys). */
  key: string
  created_at: CreatedAt
}
