import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { selfSignedCertificate } from '../support/certificates.js'
import { runCli } from '../support/cli.js'
import { useTestDb } from '../support/database.js'
import { storedClientSecret, useMetadataServer } from '../support/directory-inputs.js'
import { memoryLog, randomSlug, testConfig } from '../support/harness.js'
import { idpMetadataXml } from '../support/idp-metadata.js'

// Issue 10: `gateway directory add|list|show|test|remove --tenant SLUG …` and
// `gateway tenant host add|remove`, in process on the test's database.
const database = useTestDb()
const config = testConfig()
const memory = memoryLog()
const run = (...argv: string[]) => runCli({ config, db: database.db, log: memory.log }, ...argv)
const metadata = await useMetadataServer()

describe('gateway directory …', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cli-directories-'))
  const file = (name: string, text: string) => {
    const path = join(dir, name)
    writeFileSync(path, text)
    return path
  }
  /** `gateway directory add --tenant SLUG --kind KIND --name NAME`, then the other options. */
  const add = (slug: string, kind: 'saml' | 'oidc', name: string, ...options: string[]) =>
    run('directory', 'add', '--tenant', slug, '--kind', kind, '--name', name, ...options)
  /** The same for a SAML directory whose metadata file holds `xml`. */
  const addSaml = (slug: string, name: string, xml: string, ...options: string[]) =>
    add(slug, 'saml', name, '--metadata-file', file(`${name}.xml`, xml), ...options)
  async function tenant() {
    const slug = randomSlug()
    expect((await run('tenant', 'create', '--slug', slug, '--name', 'Store')).code).toBe(0)
    return slug
  }
  const idOf = (out: string) => /^id\s+(\S+)$/m.exec(out)?.[1] as string

  it('adds a SAML directory from a metadata file and prints what IT copies', async () => {
    const slug = await tenant()
    const cert = selfSignedCertificate({ commonName: 'Corp CLI' })
    const host = `sso-${slug}.corp.example`
    const res = await addSaml(
      slug,
      'Corp',
      idpMetadataXml({ signing: [cert.base64] }),
      '--host',
      host,
      '--email-domain',
      'corp.example',
    )
    expect(res.code).toBe(0)
    const id = idOf(res.out)
    expect(res.out).toContain(`SP entity ID     http://${host}:3000/sso/saml/${id}/metadata`)
    expect(res.out).toContain(`ACS URL          http://${host}:3000/sso/saml/${id}/acs`)
    expect(res.out).toContain(`SP metadata URL  http://${host}:3000/sso/saml/${id}/metadata`)

    const shown = await run('directory', 'show', '--tenant', slug, id)
    expect(shown.out).toContain('Corp [saml] on ' + host)
    expect(shown.out).toContain(`IdP certificate    CN=Corp CLI, valid until`)
    expect(shown.out).toContain(cert.fingerprint256)
    const json = JSON.parse((await run('directory', 'list', '--tenant', slug, '--json')).out)
    expect(json).toMatchObject([{ id, kind: 'saml', host, emailDomains: ['corp.example'] }])
    expect((await run('directory', 'list', '--tenant', slug)).out).toContain(
      `${id}  saml  Corp  host ${host}`,
    )

    const line = memory.lines().find((l) => l.event === 'admin_change' && l.target === id)
    expect(line).toMatchObject({ actor: 'cli', tenant: slug, action: 'directory.created' })
  })

  it('adds a SAML directory from a metadata URL', async () => {
    const slug = await tenant()
    metadata.serve(idpMetadataXml({ entityId: 'https://idp.cli.example' }))
    const res = await add(slug, 'saml', 'By URL', '--metadata-url', metadata.url)
    expect(res.code).toBe(0)
    const shown = await run('directory', 'show', '--tenant', slug, idOf(res.out))
    expect(shown.out).toContain(`metadata URL       ${metadata.url} (refreshed daily)`)
  })

  it('adds an OIDC directory with the secret read from a file, never printed, and prints the redirect URIs', async () => {
    const slug = await tenant()
    const secret = 'cli-secret-never-printed-81d2'
    const res = await add(
      slug,
      'oidc',
      'Okta',
      '--issuer',
      'https://corp.okta.example',
      '--client-id',
      'cid',
      '--client-secret-file',
      file('secret.txt', `${secret}\n`),
      '--scope',
      'openid',
      '--scope',
      'email',
    )
    expect(res.code).toBe(0)
    const id = idOf(res.out)
    expect(res.out).toContain(
      `register these redirect URIs at the IdP:\n  http://${slug}.localhost:3000/sso/oidc/${id}/callback`,
    )
    const shown = await run('directory', 'show', '--tenant', slug, id, '--json')
    expect(JSON.parse(shown.out)).toMatchObject({
      hasClientSecret: true,
      scopes: ['openid', 'email'],
    })
    for (const text of [res.out, res.err, shown.out, JSON.stringify(memory.lines())])
      expect(text).not.toContain(secret)
    expect(await storedClientSecret(database.db, config.secretKey, id)).toBe(secret)
  })

  it('takes no client secret on the command line (ps and shell history would keep it)', async () => {
    const slug = await tenant()
    const res = await add(
      slug,
      'oidc',
      'X',
      '--issuer',
      'https://i.example',
      '--client-id',
      'c',
      '--client-secret',
      'in-argv',
    )
    expect(res.code).toBe(2)
    expect(res.err).toContain("Unknown option '--client-secret'")
  })

  it('tests a directory: one line per check, exit 1 when one fails', async () => {
    const slug = await tenant()
    const expired = selfSignedCertificate({
      notBefore: new Date(Date.now() - 9e9),
      notAfter: new Date(Date.now() - 1e9),
    })
    const added = await addSaml(slug, 'Old', idpMetadataXml({ signing: [expired.base64] }))
    const res = await run('directory', 'test', '--tenant', slug, idOf(added.out))
    expect(res.code).toBe(1)
    expect(res.out).toMatch(/^ok {2}  idp_sso_url: /m)
    expect(res.out).toMatch(/^FAIL  idp_certificate: .*expired on/m)
  })

  it('rotates a SAML directory SP key in two steps, and says what each did', async () => {
    const slug = await tenant()
    const id = idOf((await addSaml(slug, 'Rotating', idpMetadataXml())).out)
    const staged = await run('directory', 'rotate-sp-key', '--tenant', slug, id)
    expect(staged).toMatchObject({ code: 0 })
    expect(staged.out).toMatch(/^staged SP key \S+: it is in the SP metadata now/)
    const promoted = await run('directory', 'rotate-sp-key', '--tenant', slug, id)
    expect(promoted.out).toMatch(/^promoted SP key \S+: it signs from now on/)
    expect(
      memory
        .lines()
        .filter((l) => l.target === id && String(l.action).startsWith('directory.sp_key')),
    ).toMatchObject([
      { action: 'directory.sp_key.staged', actor: 'cli' },
      { action: 'directory.sp_key.promoted', actor: 'cli' },
    ])
  })

  it('removes a directory, and refuses what does not exist', async () => {
    const slug = await tenant()
    const added = await addSaml(slug, 'Gone', idpMetadataXml())
    const id = idOf(added.out)
    expect((await run('directory', 'remove', '--tenant', slug, id)).out).toContain(
      'removed directory "Gone"',
    )
    expect(await run('directory', 'show', '--tenant', slug, id)).toMatchObject({
      code: 1,
      err: 'error: There is no such directory.',
    })
    expect(
      memory.lines().find((l) => l.action === 'directory.deleted' && l.target === id),
    ).toMatchObject({ actor: 'cli' })
  })

  it('says which field is wrong, with exit 2', async () => {
    const slug = await tenant()
    const res = await addSaml(slug, 'Bad', '<!DOCTYPE x><x/>')
    expect(res.code).toBe(2)
    expect(res.err).toContain('metadataXml: The metadata contains a DOCTYPE')
    const domain = await addSaml(slug, 'Bad', idpMetadataXml(), '--email-domain', 'not a domain')
    expect(domain.code).toBe(2)
    expect(domain.err).toContain('emailDomains.0:')
  })

  it.each([
    [['directory'], 'directory needs a command'],
    [['directory', 'add', '--tenant', 'x', '--kind', 'ldap', '--name', 'n'], '--kind saml|oidc'],
    [
      ['directory', 'add', '--tenant', 'x', '--kind', 'saml', '--name', 'n'],
      '--metadata-file F or --metadata-url U',
    ],
    [
      [
        'directory',
        'add',
        '--tenant',
        'x',
        '--kind',
        'oidc',
        '--name',
        'n',
        '--issuer',
        'https://i',
      ],
      '--client-secret-file',
    ],
    [['directory', 'show', '--tenant', 'x'], 'exactly one directory ID'],
    [['directory', 'list'], 'needs --tenant SLUG'],
    [['tenant', 'host', 'rename'], 'tenant host needs add or remove'],
    [['tenant', 'host', 'add', 'x'], 'needs a SLUG and a HOST'],
  ])('answers bad arguments %j with the usage and exit 2', async (argv, message) => {
    const res = await run(...argv)
    expect(res.code).toBe(2)
    expect(res.err).toContain(message)
  })
})

describe('gateway tenant host …', () => {
  it('adds and removes a host; never the primary one, with the reason', async () => {
    const slug = randomSlug()
    const primary = `www.${slug}.example`
    expect(
      (await run('tenant', 'create', '--slug', slug, '--name', 'S', '--host', primary)).code,
    ).toBe(0)
    const extra = `Extra.${slug}.example`
    expect(await run('tenant', 'host', 'add', slug, extra)).toMatchObject({
      code: 0,
      out: `added host ${extra.toLowerCase()} to ${slug}`,
    })
    expect((await run('tenant', 'show', slug, '--json')).out).toContain(extra.toLowerCase())
    expect(await run('tenant', 'host', 'remove', slug, extra.toLowerCase())).toMatchObject({
      code: 0,
    })
    const refused = await run('tenant', 'host', 'remove', slug, primary)
    expect(refused.code).toBe(1)
    expect(refused.err).toContain('primary host')
    expect(
      memory
        .lines()
        .filter((l) => l.event === 'admin_change' && l.tenant === slug)
        .map((l) => l.action),
    ).toEqual(['tenant.created', 'host.added', 'host.removed'])
    const bad = await run('tenant', 'host', 'add', slug, 'not a host')
    expect(bad.code).toBe(2)
    expect(bad.err).toContain('host: a DNS host name')
  })
})
