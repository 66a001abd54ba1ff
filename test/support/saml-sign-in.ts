import type { Db } from '../../src/db/database.js'
import { SAML_ATTRIBUTES, type SamlDirectory } from '../../src/sso/connection.js'
import { findEnterpriseDirectory } from '../../src/sso/directories.js'
import { insertDirectoryRow } from '../../src/sso/directories.queries.js'
import type { Tenant } from '../../src/tenants/tenants.js'
import type { Gateway } from './harness.js'
import { pageHelpers } from './pages.js'
import { PERSON, type TestIdp } from './saml-idp.js'

// The gateway side of the SAML tests: a directory trusting a test IdP (saml-idp.ts), and sign-ins
// started and finished through the pages with supertest.

/**
 * A SAML directory of `tenant` trusting `idp`, as the admin API stores one (its config read back
 * through the same validation as sign-in reads it).
 */
export async function addSamlDirectory(
  db: Db,
  tenant: Tenant,
  idp: Pick<TestIdp, 'entityId' | 'ssoUrl' | 'metadataXml'> & { certificates: string[] },
  options: { allowIdpInitiated?: boolean; host?: string; name?: string } = {},
): Promise<SamlDirectory> {
  const id = await insertDirectoryRow(db, {
    tenantId: tenant.id,
    kind: 'saml',
    name: options.name ?? 'Corp SSO',
    host: options.host,
    secretSealed: null,
    config: {
      emailDomains: ['corp.example'],
      groupMapping: [{ idpGroup: 'Sales', role: 'admin', groups: ['Sales team'] }],
      metadataXml: idp.metadataXml(),
      attributeMapping: SAML_ATTRIBUTES,
      allowIdpInitiated: options.allowIdpInitiated ?? false,
      idp: { entityId: idp.entityId, ssoUrl: idp.ssoUrl, certificates: idp.certificates },
    },
  })
  const directory = await findEnterpriseDirectory(db, tenant.id, id)
  if (directory?.kind !== 'saml') throw new Error('no SAML directory')
  return directory
}

/** SAML sign-ins through the pages, with supertest: a store trusting `idp`, a started sign-in. */
export function samlHelpers(gw: Gateway, idp: TestIdp) {
  const pages = pageHelpers(gw)

  async function samlStore(
    options: Parameters<typeof addSamlDirectory>[3] & {
      locale?: string
      trust?: Parameters<typeof addSamlDirectory>[2]
    } = {},
  ) {
    const s = await pages.store(options.locale ? { defaultLocale: options.locale } : undefined)
    const directory = await addSamlDirectory(gw.db, s.tenant, options.trust ?? idp, options)
    return { ...s, directory, acsPath: `/sso/saml/${directory.id}/acs` }
  }
  type Store = Awaited<ReturnType<typeof samlStore>>

  /** GET /sso/:id/start, read by the IdP: the request, and what a response to it carries. */
  async function startSignIn(
    s: Store,
    options: { returnTo?: string; browser?: ReturnType<typeof pages.browser> } = {},
  ) {
    const b = options.browser ?? pages.browser(s.host)
    const metadata = (await b.get(`/sso/saml/${s.directory.id}/metadata`)).text
    const started = await b.get(
      `/sso/${s.directory.id}/start?return_to=${encodeURIComponent(options.returnTo ?? '/')}`,
    )
    if (started.status !== 303) throw new Error(`start answered ${started.status}`)
    const location = started.headers['location'] as string
    const request = idp.readRequest(location, metadata)
    const reply = {
      ...PERSON,
      inResponseTo: request.id,
      acsUrl: request.acsUrl,
      audience: request.issuer,
    }
    const post = (SAMLResponse: string, path = s.acsPath) => b.post(path, { SAMLResponse })
    return { b, location, request, metadata, reply, post }
  }

  /** The directory's users and the tenant's sessions: a refused sign-in adds neither. */
  async function counts(s: Store) {
    const users = await gw.db
      .selectFrom('users')
      .select((e) => e.fn.countAll<number>().as('n'))
      .where('directory_id', '=', s.directory.id)
      .executeTakeFirstOrThrow()
    const sessions = await gw.db
      .selectFrom('sessions')
      .select((e) => e.fn.countAll<number>().as('n'))
      .where('tenant_id', '=', s.tenant.id)
      .executeTakeFirstOrThrow()
    return { users: Number(users.n), sessions: Number(sessions.n) }
  }

  /** The sso_refused events logged for the store's tenant. */
  const refusals = (s: Store) =>
    gw.logs().filter((l) => l['event'] === 'sso_refused' && l['tenant'] === s.tenant.slug)

  return { ...pages, samlStore, startSignIn, counts, refusals }
}
