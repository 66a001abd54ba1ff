import type { Db } from '../db/database.js'
import { normalizeEmail } from '../identity/addresses.js'
import type { Tenant } from '../tenants/tenants.js'
import type { EnterpriseDirectory } from './connection.js'
import { directoryForEmail, listEnterpriseDirectories } from './directories.js'

// Where a sign-in on one of the tenant's hosts goes (DESIGN.md "A host may be bound to a
// directory"): a host bound to a directory sends everyone to its IdP; the other hosts ask for
// the email first when a directory claims email domains (home-realm discovery), else they show
// the password form of the custom user database, as they always did.

export type SignInRoute =
  | { kind: 'directory'; directory: EnterpriseDirectory }
  | { kind: 'discover'; directories: EnterpriseDirectory[]; hasPasswords: boolean }
  | { kind: 'password' }

export async function signInRoute(
  db: Db,
  input: { tenant: Tenant; host: string },
): Promise<SignInRoute> {
  const { tenant, host } = input
  const hasPasswords = tenant.databaseDirectoryId !== null
  // The common store, its user database alone: known from the tenant, no query.
  if (hasPasswords && !tenant.hasEnterpriseDirectories) return { kind: 'password' }
  const bound = tenant.directoryHosts[host]
  const directories = await listEnterpriseDirectories(db, tenant.id)
  const dedicated = bound ? directories.find((d) => d.id === bound) : undefined
  if (dedicated) return { kind: 'directory', directory: dedicated }
  // A store without a user database and one company directory: nothing to ask.
  const only = directories.length === 1 ? directories[0] : undefined
  if (!hasPasswords && only) return { kind: 'directory', directory: only }
  const discovering = directories.some((d) => d.config.emailDomains.length > 0)
  if (discovering || !hasPasswords) return { kind: 'discover', directories, hasPasswords }
  return { kind: 'password' }
}

/**
 * The company directory of an address, by its domain alone (so the answer says nothing about
 * whether an account exists: no user enumeration). The domain is compared once normalised
 * (case, IDNA), as the emailDomains were when an admin saved them.
 */
export function realmOf(route: SignInRoute, email: string): EnterpriseDirectory | undefined {
  if (route.kind === 'password') return undefined
  if (route.kind === 'directory') return route.directory
  const address = normalizeEmail(email)
  return address.ok ? directoryForEmail(route.directories, address.key) : undefined
}
