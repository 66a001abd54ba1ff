import type supertest from 'supertest'
import { expect } from 'vitest'
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
  type Browser = ReturnType<typeof pages.browser>

  /** GET /sso/:id/start, read by the IdP: the request, and what a response to it carries. */
  async function startSignIn(s: Store, options: { returnTo?: string; browser?: Browser } = {}) {
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
    /** The ACS POST, then its continue step in this browser: a sign-in as a person makes it. */
    const finish = async (SAMLResponse: string) => continued(b, await post(SAMLResponse))
    return { b, location, request, metadata, reply, post, finish }
  }

  /**
   * What `browser` gets at the ACS's continue step (the same-site GET where the person is signed
   * in), or the ACS's own answer when it sent nowhere else (a refusal).
   */
  async function continued(browser: Browser, acs: supertest.Response) {
    const next = acs.status === 303 ? String(acs.headers['location']) : ''
    return /^\/sso\/saml\/[^/]+\/continue\?/.test(next) ? browser.get(next) : acs
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

  /** A French store trusting the IdP, and a sign-in started on it. */
  async function started(options: Parameters<typeof samlStore>[0] = {}) {
    const s = await samlStore({ locale: 'fr', ...options })
    return { s, ...(await startSignIn(s)) }
  }

  /**
   * A refused sign-in (issue 10): a clean page in the store's language (French: `started`), the
   * reason logged as sso_refused, no session cookie, and no user or session made (`left`: what
   * there was before).
   */
  async function expectRefused(
    s: Store,
    res: supertest.Response,
    reason: string,
    left = { users: 0, sessions: 0 },
  ) {
    expect(res.status, res.text).toBeGreaterThanOrEqual(400)
    expect(res.status).toBeLessThan(500)
    expect(res.headers['content-type']).toMatch(/^text\/html/)
    expect(res.text).toContain('La connexion avec votre entreprise a échoué')
    expect(res.text).not.toMatch(/at .*\.[jt]s:\d+|SAML|signature/i)
    expect([res.headers['set-cookie'] ?? []].flat().join()).not.toContain('gw_session')
    expect(refusals(s).map((l) => l['reason'])).toContain(reason)
    expect(await counts(s)).toEqual(left)
  }

  return {
    ...pages,
    samlStore,
    started,
    startSignIn,
    continued,
    counts,
    refusals,
    expectRefused,
  }
}
