import type { Principal as KeyPrincipal } from './api-keys.js'

/**
 * Who calls /admin/api/v1: a machine with an API key, a machine app with a client-credentials
 * token of its tenant (scope `gateway:admin`), or an admin's browser with the console's session. `tenantId` is the tenant the caller may act on, null for the platform (every tenant).
 * `keyId?: never` keeps code written for keys alone compiling; it reads undefined for a session.
 */
export type ApiKeyPrincipal = KeyPrincipal & { kind: 'api_key' }
export type SessionPrincipal = {
  kind: 'session'
  keyId?: never
  tenantId: string | null
  membershipId: string
  userId: string
  email: string
  /** What logs and `invited_by` show: the admin's email. */
  name: string
}
/** A tenant's machine app, by a client-credentials access token carrying `gateway:admin`. */
export type ClientPrincipal = {
  kind: 'client'
  keyId?: never
  tenantId: string
  clientId: string
  /** The app's name. */
  name: string
}
export type AdminPrincipal = ApiKeyPrincipal | ClientPrincipal | SessionPrincipal
