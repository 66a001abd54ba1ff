import { request } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runImports } from '../../src/imports/run.js'
import { sendDueMail } from '../../src/jobs/send-outbox.js'
import { createMailer } from '../../src/mail/smtp.js'
import { tenantWithKey } from '../support/admin-api.js'
import { declareCatalogue } from '../support/catalogues.js'
import { type Gateway, memoryLog, useGateway } from '../support/harness.js'
import { addPeople } from '../support/members.js'
import { startSmtp, type TestSmtp } from '../support/smtp.js'

// Issue 12, "Bad input" and "How it will be checked": the CSV import through the admin API, on
// the job that applies it, with a real SMTP server receiving the invitations.
describe('CSV import', () => {
  // Own database: the import job and the mail sender scan every tenant.
  const gw: Gateway = useGateway({}, { database: 'own' })
  let smtp: TestSmtp
  beforeAll(async () => {
    smtp = await startSmtp()
  })
  afterAll(() => smtp?.close())

  const run = (extra: Partial<Parameters<typeof runImports>[1]> = {}) =>
    runImports(gw.db, {
      secretKey: gw.config.secretKey,
      urls: gw.config,
      log: memoryLog().log,
      ...extra,
    })
  const deliver = () =>
    sendDueMail(gw.db, {
      mailer: createMailer(smtp.url),
      secretKey: gw.config.secretKey,
      templates: gw.config.mailTemplates,
      from: { address: 'no-reply@localhost' },
    })
  async function setUp() {
    const t = await tenantWithKey(gw)
    const upload = (csv: string | Buffer, type = 'text/csv') =>
      t.api('post', '/imports').set('Content-Type', type).set('X-File-Name', 'people.csv').send(csv)
    const imported = async (csv: string | Buffer) => {
      const res = await upload(csv)
      expect(res.status, JSON.stringify(res.body)).toBe(202)
      await run()
      const got = await t.api('get', `/imports/${res.body.id}`)
      const report = await t.api('get', `/imports/${res.body.id}/report`)
      return {
        id: res.body.id as string,
        accepted: res.body,
        view: got.body,
        report: report.text,
        res,
      }
    }
    const memberships = () =>
      gw.db
        .selectFrom('memberships as m')
        .innerJoin('users as u', 'u.id', 'm.user_id')
        .select([
          'u.email',
          'u.first_name',
          'u.last_name',
          'm.status',
          'm.role',
          'm.groups',
          'm.products',
        ])
        .where('m.tenant_id', '=', t.tenant.id)
        .orderBy('u.email')
        .execute()
    const mails = () =>
      gw.db
        .selectFrom('outbox')
        .select(['to_address', 'template'])
        .where('tenant_id', '=', t.tenant.id)
        .execute()
    return { ...t, upload, imported, memberships, mails }
  }
  const reportLines = (report: string) => report.trim().split('\r\n').slice(1)

  it('invites the people of a file once: the same file again sends no second mail (real SMTP)', async () => {
    const t = await setUp()
    const csv =
      'email,firstName,lastName\nada@imports.test,Ada,Lovelace\ngrace@imports.test,Grace,Hopper\n'
    const first = await t.imported(csv)
    expect(first.res.headers.location).toBe(
      `/admin/api/v1/tenants/${t.tenant.slug}/imports/${first.id}`,
    )
    expect(first.view).toMatchObject({
      state: 'done',
      rows: { total: 2, done: 2 },
      counts: { invited: 2 },
    })
    await deliver()
    await smtp.waitFor('ada@imports.test')
    await smtp.waitFor('grace@imports.test')
    const sent = () =>
      smtp.messages.filter((m) => m.envelope.rcptTo[0]?.endsWith('@imports.test')).length
    expect(sent()).toBe(2)

    const second = await t.imported(csv)
    expect(second.view.counts).toEqual({ already_invited: 2 })
    await deliver()
    expect(sent()).toBe(2)
    expect(await t.memberships()).toHaveLength(2)
    // Only the token's hash is stored, as for any invitation.
    const invitations = await gw.db
      .selectFrom('invitations')
      .select(['token_hash'])
      .where('tenant_id', '=', t.tenant.id)
      .execute()
    expect(invitations.every((i) => i.token_hash.length === 32)).toBe(true)
    const audit = await gw.db
      .selectFrom('audit_events')
      .select(['action', 'details'])
      .where('tenant_id', '=', t.tenant.id)
      .where('action', '=', 'import.finished')
      .execute()
    expect(audit).toHaveLength(2)
    expect(audit[0]!.details).toMatchObject({ fileName: 'people.csv', rows: 2 })
  })

  it('reads a UTF-8 BOM, ";" separators and quoted fields holding newlines and quotes', async () => {
    const t = await setUp()
    const csv =
      '\uFEFFEmail ; FirstName;lastName\r\n"bom@imports.test";"Ann ""the"" Nan";"two\r\nlines"\r\nnext@imports.test;Bo;Bi\r\n'
    const { view, report } = await t.imported(csv)
    expect(view.counts).toEqual({ invited: 2 })
    const [ann, bo] = await t.memberships()
    expect(ann).toMatchObject({
      email: 'bom@imports.test',
      first_name: 'Ann "the" Nan',
      last_name: 'two\r\nlines',
    })
    expect(bo).toMatchObject({ email: 'next@imports.test', first_name: 'Bo' })
    // Lines are the file's: the quoted record spans lines 2-3, the next one starts on line 4.
    expect(reportLines(report)).toEqual([
      '2,bom@imports.test,invited,',
      '4,next@imports.test,invited,',
    ])
  })

  it('refuses a file without an email column, and one that is not CSV at all', async () => {
    const t = await setUp()
    const missing = await t.upload('firstName,lastName\nAda,Lovelace\n')
    expect(missing.status).toBe(400)
    expect(missing.body).toMatchObject({
      error: 'invalid_request',
      message: expect.stringContaining('email column'),
    })
    const png = Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d]),
      Buffer.alloc(200, 1),
    ])
    const binary = await t.upload(png)
    expect(binary.status).toBe(400)
    expect(binary.body.message).toContain('not a CSV file')
    expect((await t.upload('')).status).toBe(400)
    expect((await t.api('get', '/imports')).body.items).toEqual([])
  })

  it('reports an unknown column instead of dropping it silently', async () => {
    const t = await setUp()
    const { accepted, view } = await t.imported('email,shoeSize\nshoe@imports.test,44\n')
    expect(accepted.unknownColumns).toEqual(['shoeSize'])
    expect(view.warnings).toEqual(['Unknown column ignored: "shoeSize".'])
    expect(view.counts).toEqual({ invited: 1 })
  })

  it('reports a malformed row in the middle, with its line, and applies the others', async () => {
    const t = await setUp()
    const csv = [
      'email,firstName,role',
      'one@imports.test,One,user',
      'two@imports.test,Two,user,extra',
      'not-an-address,Three,user',
      'four@imports.test,Four,chief',
      'five@imports.test,Five,',
    ].join('\n')
    const { view, report } = await t.imported(csv)
    expect(view.counts).toEqual({ invited: 2, invalid: 3 })
    const lines = reportLines(report)
    expect(lines[1]).toBe('3,two@imports.test,invalid,"This line has 4 fields; the header has 3."')
    expect(lines[2]).toMatch(/^4,not-an-address,invalid,/)
    expect(lines[3]).toBe('5,four@imports.test,invalid,"There is no role ""chief"" in this store."')
    expect((await t.memberships()).map((m) => m.email)).toEqual([
      'five@imports.test',
      'one@imports.test',
    ])
  })

  it('reports the same email twice in one file, the first applied', async () => {
    const t = await setUp()
    const { view, report } = await t.imported(
      'email,firstName\ntwice@imports.test,A\nTWICE@imports.test,B\n',
    )
    expect(view.counts).toEqual({ invited: 1, duplicate: 1 })
    expect(reportLines(report)[1]).toBe(
      '3,TWICE@imports.test,duplicate,This address is on line 2 already.',
    )
    expect(await t.memberships()).toMatchObject([{ first_name: 'A' }])
  })

  it('updates members without inviting them, and deletes; a delete of someone unknown is reported', async () => {
    const t = await setUp()
    await declareCatalogue(gw.db, t.tenant.id, { groups: ['Sales'], roles: ['manager'] })
    await addPeople(gw.db, t.tenant, [
      { email: 'member@imports.test', firstName: 'Old' },
      { email: 'leaver@imports.test' },
      { email: 'admin@imports.test', role: 'admin' },
    ])
    const csv = [
      'email,firstName,role,user-group 1,user-group 2,delete',
      'member@imports.test,New,manager,sales,,false',
      'leaver@imports.test,,,,,true',
      'ghost@imports.test,,,,,yes',
    ].join('\n')
    const { view, report } = await t.imported(csv)
    expect(view.counts).toEqual({ updated: 1, deleted: 1, not_found: 1 })
    expect(reportLines(report)[2]).toMatch(/^4,ghost@imports.test,not_found,Nobody/)
    const people = await t.memberships()
    expect(people.map((p) => p.email)).toEqual(['admin@imports.test', 'member@imports.test'])
    expect(people[1]).toMatchObject({
      first_name: 'New',
      role: 'manager',
      groups: ['Everybody', 'Sales'],
      status: 'active',
    })
    expect(await t.mails()).toEqual([])
    // Again: nothing left to change.
    const again = await t.imported(csv)
    expect(again.view.counts).toEqual({ unchanged: 1, not_found: 2 })
  })

  it('moves a person in with a password hash: active at once, no invitation', async () => {
    const t = await setUp()
    const bcrypt = '$2b$10$' + 'a'.repeat(53)
    const csv = `email,passwordHash\nmoved@imports.test,${bcrypt}\nbad@imports.test,md5:abc\n`
    const { view } = await t.imported(csv)
    expect(view.counts).toEqual({ created: 1, invalid: 1 })
    expect(await t.memberships()).toMatchObject([{ email: 'moved@imports.test', status: 'active' }])
    const credential = await gw.db
      .selectFrom('credentials')
      .select('password_hash')
      .executeTakeFirst()
    expect(credential).toBeDefined()
    expect(await t.mails()).toEqual([])
  })

  it('grants apps from their columns, and gives a template naming them', async () => {
    const t = await setUp()
    await declareCatalogue(gw.db, t.tenant.id, { products: ['crm'] })
    const template = await t.api('get', '/imports/template')
    expect(template.status).toBe(200)
    expect(template.text.trim()).toBe(
      'email,firstName,lastName,phone,jobTitle,externalId,locale,role,organization,kind,user-group 1,user-group 2,user-group 3,App of crm,passwordHash,delete',
    )
    const { view } = await t.imported(
      'email,app of crm\ncrm@imports.test,x\nnocrm@imports.test,\nodd@imports.test,maybe\n',
    )
    expect(view.counts).toEqual({ invited: 2, invalid: 1 })
    expect((await t.memberships()).map((m) => m.products)).toEqual([['crm'], []])
  })

  it('takes a multipart/form-data upload with one file', async () => {
    const t = await setUp()
    const res = await t
      .api('post', '/imports')
      .attach('file', Buffer.from('email\nform@imports.test\n'), 'form.csv')
    expect(res.status).toBe(202)
    await run()
    const view = await t.api('get', `/imports/${res.body.id}`)
    expect(view.body).toMatchObject({ fileName: 'form.csv', state: 'done', counts: { invited: 1 } })
    expect((await t.api('get', '/imports')).body.items.map((i: { id: string }) => i.id)).toEqual([
      res.body.id,
    ])
  })

  it.each([
    ['that says its length', true],
    ['sent chunked, counted as it streams', false],
  ])('refuses a 100 MB upload %s with 413, keeping nothing', async (_how, declared) => {
    const t = await setUp()
    const server = gw.app.listen(0, '127.0.0.1')
    await new Promise((r) => server.once('listening', r))
    try {
      const { port } = server.address() as AddressInfo
      // Long lines: the chunked upload is staged until it crosses 50 MB, a few thousand rows.
      const line = Buffer.from(`someone@imports.test,Some,${'x'.repeat(16_000)}\n`)
      const chunk = Buffer.concat([
        Buffer.from('email,firstName,jobTitle\n'),
        Buffer.concat(Array(20).fill(line)),
      ])
      const length = { 'Content-Length': String(100 * 1024 * 1024) }
      const answer = await new Promise<{ status: number; body: string; sent: number }>(
        (resolve, reject) => {
          let sent = 0
          const req = request({
            port,
            method: 'POST',
            path: `/admin/api/v1/tenants/${t.tenant.slug}/imports`,
            headers: {
              Authorization: `Bearer ${t.key}`,
              'Content-Type': 'text/csv',
              ...(declared ? length : { 'Transfer-Encoding': 'chunked' }),
            },
          })
          let answered = false
          req.on('response', (res) => {
            answered = true
            let body = ''
            res.on('data', (d) => (body += d))
            res.on('end', () => resolve({ status: res.statusCode!, body, sent }))
          })
          req.on('error', (e) => (answered ? undefined : reject(e)))
          const pump = () => {
            while (!answered && sent + chunk.length <= 100 * 1024 * 1024) {
              sent += chunk.length
              if (!req.write(chunk)) return void req.once('drain', pump)
            }
            if (!answered) req.end()
          }
          pump()
        },
      )
      expect(answer.status).toBe(413)
      expect(JSON.parse(answer.body)).toMatchObject({
        error: 'payload_too_large',
        message: expect.stringContaining('50 MB'),
      })
      expect(answer.sent).toBeLessThan(100 * 1024 * 1024)
      expect((await t.api('get', '/imports')).body.items).toEqual([])
      const staged = await gw.db
        .selectFrom('import_rows')
        .select('line')
        .where('tenant_id', '=', t.tenant.id)
        .execute()
      expect(staged).toEqual([])
    } finally {
      server.close()
    }
  })

  it("answers 404 for another tenant's import (OWASP ASVS 5.0 8.4.1)", async () => {
    const a = await setUp()
    const b = await setUp()
    const { id } = await a.imported('email\nmine@imports.test\n')
    expect((await b.api('get', `/imports/${id}`)).status).toBe(404)
    expect((await b.api('get', `/imports/${id}/report`)).status).toBe(404)
    expect((await b.api('get', '/imports/not-a-uuid')).status).toBe(404)
    expect((await b.api('get', '/imports')).body.items).toEqual([])
  })
})
