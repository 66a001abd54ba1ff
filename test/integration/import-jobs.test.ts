import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { importCommand } from '../../src/cli/import.command.js'
import { runImports } from '../../src/imports/run.js'
import { tenantWithKey } from '../support/admin-api.js'
import { type Gateway, memoryLog, useGateway } from '../support/harness.js'

// Issue 12: "a gateway killed in the middle of an import finishes it after a restart with no
// row applied twice", runs once across several processes, and a 50,000-row file.
describe('the import job', () => {
  // 50,000 rows on both databases (about 20 s on PostgreSQL, 30 s on PGlite here);
  // IMPORT_TEST_ROWS changes it.
  const ROWS = Number(process.env.IMPORT_TEST_ROWS ?? 50_000)
  const gw: Gateway = useGateway({}, { database: 'own' })
  const runner = (extra: Partial<Parameters<typeof runImports>[1]> = {}) =>
    runImports(gw.db, {
      secretKey: gw.config.secretKey,
      urls: gw.config,
      log: memoryLog().log,
      ...extra,
    })
  const csvOf = (n: number, prefix: string) =>
    [
      'email,firstName',
      ...Array.from({ length: n }, (_, i) => `${prefix}${i}@jobs.test,P${i}`),
    ].join('\n')

  async function staged(n: number, prefix: string) {
    const t = await tenantWithKey(gw)
    const res = await t
      .api('post', '/imports')
      .set('Content-Type', 'text/csv')
      .send(csvOf(n, prefix))
    expect(res.status).toBe(202)
    const counts = async () => {
      const q = (table: 'memberships' | 'invitations' | 'outbox') =>
        gw.db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('tenant_id', '=', t.tenant.id)
          .executeTakeFirstOrThrow()
      return {
        memberships: Number((await q('memberships')).n),
        invitations: Number((await q('invitations')).n),
        mails: Number((await q('outbox')).n),
      }
    }
    return {
      ...t,
      id: res.body.id as string,
      counts,
      view: async () => (await t.api('get', `/imports/${res.body.id}`)).body,
    }
  }

  it('finishes after its runner died mid-import (lease ran out), no row applied twice', async () => {
    const t = await staged(50, 'killed')
    // The first runner applies two chunks and stops, as a killed process would: its lease held.
    await runner({ chunkSize: 10, stopAfterChunks: 2, owner: 'dead' })
    expect(await t.view()).toMatchObject({ state: 'running', rows: { done: 20, total: 50 } })
    // Another runner cannot take it while the lease lasts,
    await runner({ chunkSize: 10, owner: 'early' })
    expect((await t.view()).rows.done).toBe(20)
    // and takes it over once the lease ran out.
    const later = () => new Date(Date.now() + 5 * 60_000)
    await runner({ chunkSize: 10, owner: 'restarted', now: later })
    expect(await t.view()).toMatchObject({
      state: 'done',
      rows: { done: 50 },
      counts: { invited: 50 },
    })
    expect(await t.counts()).toEqual({ memberships: 50, invitations: 50, mails: 50 })
  })

  it('hands an import over at once when its runner stops (SIGTERM): the chunk in hand commits, the lease ends', async () => {
    const t = await staged(50, 'stopped')
    const stopping = new AbortController()
    let chunks = 0
    await runner({
      chunkSize: 10,
      owner: 'stopping',
      signal: stopping.signal,
      onProgress: () => ++chunks === 2 && stopping.abort(), // SIGTERM during the second chunk
    })
    expect(await t.view()).toMatchObject({ state: 'running', rows: { done: 20, total: 50 } })
    // Another runner, at the same moment, carries on: no lease to wait out.
    await runner({ chunkSize: 10, owner: 'next' })
    expect(await t.view()).toMatchObject({
      state: 'done',
      rows: { done: 50 },
      counts: { invited: 50 },
    })
    expect(await t.counts()).toEqual({ memberships: 50, invitations: 50, mails: 50 })
  })

  it('commits nothing for a runner whose lease was taken over', async () => {
    const t = await staged(30, 'stale')
    await runner({ chunkSize: 10, stopAfterChunks: 1, owner: 'slow' })
    const later = () => new Date(Date.now() + 5 * 60_000)
    await runner({ chunkSize: 10, owner: 'new', now: later, stopAfterChunks: 1 })
    // The old runner wakes up: its lease is gone, so its chunk rolls back.
    await runner({ chunkSize: 10, owner: 'slow' })
    expect((await t.view()).rows.done).toBe(20)
    // A restarted process (a new name) takes it over once that lease ran out too.
    await runner({
      chunkSize: 10,
      owner: 'restarted',
      now: () => new Date(Date.now() + 10 * 60_000),
    })
    expect(await t.view()).toMatchObject({ state: 'done', counts: { invited: 30 } })
    expect(await t.counts()).toEqual({ memberships: 30, invitations: 30, mails: 30 })
  })

  it('applies each row once with two runners at once', async () => {
    const t = await staged(300, 'twice')
    await Promise.all([
      runner({ chunkSize: 25 }),
      runner({ chunkSize: 25 }),
      runner({ chunkSize: 25 }),
    ])
    expect(await t.view()).toMatchObject({
      state: 'done',
      rows: { done: 300 },
      counts: { invited: 300 },
    })
    expect(await t.counts()).toEqual({ memberships: 300, invitations: 300, mails: 300 })
  })

  it(`imports a ${ROWS.toLocaleString('en')}-row file`, async () => {
    const t = await staged(ROWS, 'big')
    await runner()
    expect(await t.view()).toMatchObject({
      state: 'done',
      rows: { total: ROWS, done: ROWS },
      counts: { invited: ROWS },
    })
    expect(await t.counts()).toEqual({ memberships: ROWS, invitations: ROWS, mails: ROWS })
    const report = await t.api('get', `/imports/${t.id}/report`)
    expect(report.text.trim().split('\r\n')).toHaveLength(ROWS + 1)
  }, 600_000)

  it('gateway import: plain lines when stdout is not a terminal, the summary and the report', async () => {
    const t = await tenantWithKey(gw)
    const dir = mkdtempSync(join(tmpdir(), 'import-cli-'))
    const file = join(dir, 'people.csv')
    writeFileSync(file, `${csvOf(3, 'cli')}\nbad,address\n`)
    const out: string[] = []
    const io = { out: (l: string) => out.push(l), err: (l: string) => out.push(`ERR ${l}`) }
    const code = await importCommand(['--tenant', t.tenant.slug, file], {
      config: gw.config,
      db: gw.db,
      io,
      log: memoryLog().log,
      isTty: false,
    })
    expect(code).toBe(0)
    expect(out[0]).toMatch(/^import [0-9a-f-]{36}: 4 rows read from people\.csv$/)
    expect(out).toContain('4/4 rows applied')
    expect(out).toContain('import done: invited 3, invalid 1')
    expect(out.at(-1)).toMatch(
      new RegExp(
        `^report: ${t.tenant.publicUrl}/admin/api/v1/tenants/${t.tenant.slug}/imports/.+/report`,
      ),
    )
  })
})
