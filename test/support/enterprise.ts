import { seal } from '../../src/lib/seal.js'
import type { EnterpriseDirectory, GroupMapping } from '../../src/sso/connection.js'
import { findEnterpriseDirectory } from '../../src/sso/directories.js'
import { insertDirectoryRow } from '../../src/sso/directories.queries.js'
import type { IdpProfile } from '../../src/sso/provisioning.js'
import { signInWithDirectory } from '../../src/sso/sign-in.js'
import { getTenant, type Tenant } from '../../src/tenants/tenants.js'
import type { Gateway } from './harness.js'

// Company directories for the tests of what surrounds the protocols (sign-in routing,
// provisioning, invitations, tokens): the connection rows as the admin API stores them, and
// the profile a verified SAML assertion or ID token would give. No IdP is involved here.

type DirectoryOptions = {
  kind?: 'saml' | 'oidc'
  name?: string
  emailDomains?: string[]
  groupMapping?: GroupMapping
  /** A new host of the tenant, bound to the directory. */
  host?: string
}

/** A company directory of `tenant`, and the tenant as it reads now (hosts bound included). */
export async function addDirectory(
  gw: Gateway,
  tenant: Tenant,
  options: DirectoryOptions = {},
): Promise<{ directory: EnterpriseDirectory; tenant: Tenant }> {
  const kind = options.kind ?? 'saml'
  const common = {
    emailDomains: options.emailDomains ?? [],
    groupMapping: options.groupMapping ?? [],
  }
  const config =
    kind === 'saml'
      ? {
          ...common,
          idp: {
            entityId: 'https://idp.corp.example/entity',
            ssoUrl: 'https://idp.corp.example/sso',
            certificates: ['MIIBfake'],
          },
        }
      : {
          ...common,
          issuer: 'https://login.corp.example',
          clientId: 'gateway',
          tokenEndpointAuthMethod: 'client_secret_basic',
          scopes: ['openid', 'email', 'profile'],
        }
  const id = await insertDirectoryRow(gw.db, {
    tenantId: tenant.id,
    kind,
    name: options.name ?? (kind === 'saml' ? 'Corp SAML' : 'Corp Entra ID'),
    config,
    secretSealed: kind === 'oidc' ? seal(gw.config.secretKey, 'directory', 'client-secret') : null,
    host: options.host,
  })
  const directory = await findEnterpriseDirectory(gw.db, tenant.id, id)
  if (!directory) throw new Error('directory not found after insert')
  return { directory, tenant: await getTenant(gw.db, tenant.slug, gw.config) }
}

/** What a company's IdP would assert about a person (a verified assertion or ID token). */
export const idpProfile = (patch: Partial<IdpProfile> = {}): IdpProfile => ({
  subject: 'idp-subject-alice',
  email: 'alice@corp.example',
  firstName: 'Alice',
  lastName: 'Martin',
  groups: [],
  amr: ['pwd', 'mfa'],
  ...patch,
})

/** signInWithDirectory, as the ACS or the OIDC callback calls it once the IdP vouched. */
export const companySignIn = (
  gw: Gateway,
  input: {
    tenant: Tenant
    directory: EnterpriseDirectory
    profile?: Partial<IdpProfile>
    invitationId?: string
  },
  now?: Date,
) =>
  signInWithDirectory(
    gw.db,
    {
      tenant: input.tenant,
      directory: input.directory,
      profile: idpProfile(input.profile),
      invitationId: input.invitationId,
    },
    now,
  )

/** The user rows and memberships of a directory at a tenant: what a sign-in left behind. */
export async function peopleOf(gw: Gateway, tenant: Tenant, directoryId: string) {
  const users = await gw.db
    .selectFrom('users')
    .selectAll()
    .where('directory_id', '=', directoryId)
    .orderBy('created_at')
    .execute()
  const memberships = await gw.db
    .selectFrom('memberships')
    .selectAll()
    .where('tenant_id', '=', tenant.id)
    .where('directory_id', '=', directoryId)
    .execute()
  const sessions = await gw.db
    .selectFrom('sessions')
    .innerJoin('memberships', 'memberships.id', 'sessions.membership_id')
    .select(['sessions.membership_id', 'sessions.amr', 'sessions.pending'])
    .where('sessions.tenant_id', '=', tenant.id)
    .where('memberships.directory_id', '=', directoryId)
    .execute()
  return { users, memberships, sessions }
}
