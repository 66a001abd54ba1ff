import type { Db } from '../db/database.js'
import type { DirectoryKind } from '../db/schema.js'
import type { Membership } from '../identity/memberships.js'
import { listDirectories, type Tenant } from '../tenants/tenants.js'
import { findActiveAccount } from './accounts.queries.js'

/**
 * The claims of a user at a tenant: the same set whatever directory the user comes from. `sub`
 * is the user's id in its directory: stable, never the email.
 */
export type AccountClaims = {
  sub: string
  email: string
  email_verified: boolean
  name: string
  given_name?: string
  family_name?: string
  locale?: string
  tenant: string
  roles: string[]
  groups: string[]
  products: string[]
  kind: Membership['kind']
  organization?: string
  /** The directory the identity lives in: an app can tell a company account from a password one. */
  directory_id: string
  /** `database` (the custom user database: a password), `saml` or `oidc` (a company's IdP). */
  directory_kind: DirectoryKind
  /**
   * How the person signed in (RFC 8176): the sign-in's, not the account's, so never filled
   * here. The provider puts the session's in the ID token; userinfo takes the access token's.
   */
  amr?: string[]
}

/** Claims for tokens carried by people; `undefined` once the membership is no longer active. */
export async function accountClaims(
  db: Db,
  tenant: Tenant,
  userId: string,
): Promise<{ claims: AccountClaims; membership: Membership } | undefined> {
  const row = await findActiveAccount(db, tenant.id, userId)
  if (!row) return undefined
  const { user_email, user_first_name, user_last_name, user_locale, ...membership } = row
  const user = {
    id: userId,
    email: user_email,
    first_name: user_first_name,
    last_name: user_last_name,
    locale: user_locale,
  }
  const directoryKind = await kindOf(db, tenant, membership.directory_id)
  if (!directoryKind) return undefined
  const name = [user.first_name, user.last_name].filter(Boolean).join(' ') || user.email
  return {
    membership,
    claims: {
      sub: user.id,
      email: user.email,
      // Proven by the invitation link (or asserted by the company's IdP).
      email_verified: true,
      name,
      ...(user.first_name && { given_name: user.first_name }),
      ...(user.last_name && { family_name: user.last_name }),
      ...(user.locale && { locale: user.locale }),
      tenant: tenant.slug,
      roles: [membership.role],
      groups: membership.groups,
      products: membership.products,
      kind: membership.kind,
      ...(membership.organization && { organization: membership.organization }),
      directory_id: membership.directory_id,
      directory_kind: directoryKind,
    },
  }
}

// The tenant's own user database needs no query: most accounts live there.
async function kindOf(
  db: Db,
  tenant: Tenant,
  directoryId: string,
): Promise<DirectoryKind | undefined> {
  if (directoryId === tenant.databaseDirectoryId) return 'database'
  return (await listDirectories(db, tenant.id)).find((d) => d.id === directoryId)?.kind
}

/**
 * Members use every app of their tenant; a guest only the apps whose product it was granted.
 * An app that declares no product is a product of its own: its client id (issue 11's grid).
 */
export function mayUseApp(
  membership: Pick<Membership, 'kind' | 'products'>,
  app: { product: string | null; clientId?: string },
): boolean {
  if (membership.kind === 'member') return true
  const product = app.product ?? app.clientId
  return product !== undefined && membership.products.includes(product)
}

/** mayUseApp, reading the app only for a guest: a member's grants need no query for it. */
export async function mayUseAppOf(
  membership: Pick<Membership, 'kind' | 'products'>,
  app: () => Promise<{ product: string | null; clientId?: string }>,
): Promise<boolean> {
  return membership.kind === 'member' || mayUseApp(membership, await app())
}

// Which claims each scope releases in ID tokens and userinfo.
// `amr` and the directory come with `openid`: every ID token and userinfo answer says how the
// person signed in and where their account lives, whatever else the app asked for. (Listed
// here, amr is one the provider releases: it fills it from the sign-in, interaction.ts.)
export const SCOPE_CLAIMS = {
  openid: ['sub', 'amr', 'directory_id', 'directory_kind'],
  email: ['email', 'email_verified'],
  profile: [
    'name',
    'given_name',
    'family_name',
    'locale',
    'tenant',
    'roles',
    'groups',
    'products',
    'kind',
    'organization',
  ],
} as const satisfies Record<string, readonly (keyof AccountClaims)[]>

/** The claims a set of scopes releases. */
export function claimsForScopes(claims: AccountClaims, scopes: Iterable<string>) {
  const released: Partial<AccountClaims> & { sub: string } = { sub: claims.sub }
  for (const scope of scopes) {
    const names = SCOPE_CLAIMS[scope as keyof typeof SCOPE_CLAIMS] ?? []
    for (const name of names)
      if (claims[name] !== undefined) Object.assign(released, { [name]: claims[name] })
  }
  return released
}

/**
 * What an access token carries about its user, whatever scopes were asked, with how the sign-in
 * behind it was made (`amr`, RFC 8176: `pwd` for the gateway's password form, else the
 * company IdP's values).
 */
export function accessTokenClaims(claims: AccountClaims, amr: string[] | undefined) {
  const { tenant, email, name, roles, groups, products, kind, directory_id, directory_kind } =
    claims
  return {
    tenant,
    email,
    name,
    roles,
    groups,
    products,
    kind,
    directory_id,
    directory_kind,
    ...(amr && { amr }),
  }
}
