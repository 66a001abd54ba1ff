import { createRemoteJWKSet, customFetch, decodeProtectedHeader, jwtVerify } from 'jose'
import * as client from 'openid-client'
import { describe, expect, it } from 'vitest'
import { runCli } from '../support/cli.js'
import {
  authorize,
  httpBrowser,
  REDIRECT,
  relyingParty,
  tenantFetch,
  useOidcTestSetUp,
} from '../support/oidc.js'

// Issue 4, "Keys" and "Apps": rotation publishes the next key before it signs and keeps the
// retired one until its tokens expire; the CLI registers apps and rotates keys.
// RS256, the product's default: this file is about signing and verifying.
const { gw, member, person } = await useOidcTestSetUp({ signingAlg: 'RS256' })

const run = (...argv: string[]) => runCli(gw, ...argv)

const jwksOf = async (issuer: string) =>
  ((await (await tenantFetch(`${issuer}/jwks`)).json()) as { keys: { kid: string }[] }).keys.map(
    (k) => k.kid,
  )

describe('signing keys', () => {
  it('rotates without rejecting a token, mid-run, and the JWKS fetched before still verifies the new key', async () => {
    const { tenant } = await member(person.email)
    const { config } = await relyingParty(gw, tenant)
    const b = httpBrowser()
    const before = (await authorize(config, person, { browser: b })).tokens!
    const published = await jwksOf(tenant.publicUrl)
    expect(published).toHaveLength(2) // the signing key and the next one
    const oldKid = decodeProtectedHeader(before.access_token).kid
    expect(published[0]).toBe(oldKid)
    const jwks = createRemoteJWKSet(new URL(`${tenant.publicUrl}/jwks`), {
      [customFetch]: tenantFetch,
    })
    await jwks({ alg: 'RS256', kid: published[1] }, { payload: '', signature: '' } as never)

    // Forward auth keeps answering 200 for the old token while the keys rotate.
    let stop = false
    const statuses: number[] = []
    const verify = (token: string) =>
      tenantFetch(`${tenant.publicUrl}/auth/verify`, {
        headers: { authorization: `Bearer ${token}` },
      })
    const load = (async () => {
      while (!stop) statuses.push((await verify(before.access_token)).status)
    })()
    const rotated = await run('keys', 'rotate', '--tenant', tenant.slug)
    expect(rotated.code).toBe(0)
    expect(rotated.out).toContain(`signing with ${published[1]}`)
    const after = (await authorize(config, person, { browser: b })).tokens!
    stop = true
    await load
    expect(statuses.length).toBeGreaterThan(0)
    // And once the new key signs, the old token still passes, on every call.
    for (let i = 0; i < 3; i++) statuses.push((await verify(before.access_token)).status)
    expect(new Set(statuses)).toEqual(new Set([200]))

    expect(decodeProtectedHeader(after.access_token).kid).toBe(published[1])
    const now = await jwksOf(tenant.publicUrl)
    expect(now).toEqual(expect.arrayContaining([published[0], published[1]]))
    expect(now).toHaveLength(3) // signing, next, and the retired one until its tokens expire
    for (const token of [before.access_token, after.access_token]) {
      const { payload } = await jwtVerify(token, jwks, {
        issuer: tenant.publicUrl,
        audience: `${tenant.publicUrl}/api`,
        typ: 'at+jwt',
      })
      expect(payload.email).toBe(person.email)
    }
    expect(
      (await client.refreshTokenGrant(config, before.refresh_token!)).access_token,
    ).toBeTruthy()
  })

  it('rotates the keys of a tenant whose provider never started (it gets its first keys)', async () => {
    const { tenant } = await member(person.email)
    const rotated = await run('keys', 'rotate', '--tenant', tenant.slug)
    expect(rotated.code).toBe(0)
    expect(await jwksOf(tenant.publicUrl)).toHaveLength(3)
  })

  it('keeps private keys sealed at rest', async () => {
    const { tenant } = await member(person.email)
    await jwksOf(tenant.publicUrl)
    const rows = await gw.db
      .selectFrom('signing_keys')
      .selectAll()
      .where('tenant_id', '=', tenant.id)
      .execute()
    expect(rows.length).toBe(2)
    for (const row of rows) {
      expect(Buffer.from(row.private_sealed).toString('latin1')).not.toContain('"d"')
      expect(row.public_jwk).not.toHaveProperty('d')
    }
  })
})

describe('gateway app …', () => {
  it('registers a web app with a secret shown once, lists it, and refuses bad redirect URIs', async () => {
    const { tenant } = await member(person.email)
    const created = await run(
      'app',
      'create',
      '--tenant',
      tenant.slug,
      '--name',
      'Shop',
      '--type',
      'web',
      '--redirect-uri',
      REDIRECT,
    )
    expect(created.code).toBe(0)
    const clientId = /client_id\s+(\S+)/.exec(created.out)?.[1]
    const secret = /client_secret\s+(\S+)/.exec(created.out)?.[1]
    expect(secret).toMatch(/^gws_/)
    const stored = await gw.db
      .selectFrom('apps')
      .select('secret_hash')
      .where('client_id', '=', clientId!)
      .executeTakeFirstOrThrow()
    expect(Buffer.from(stored.secret_hash!).toString('latin1')).not.toContain(secret!)
    const listed = await run('app', 'list', '--tenant', tenant.slug)
    expect(listed.out).toContain(clientId!)
    expect(listed.out).not.toContain(secret!)

    const native = await run(
      'app',
      'create',
      '--tenant',
      tenant.slug,
      '--name',
      'iOS',
      '--type',
      'native',
      '--redirect-uri',
      'com.example.store:/callback',
    )
    expect(native.code).toBe(0)
    expect(native.out).not.toContain('client_secret')
    for (const bad of [
      'https://*.example.com/cb',
      'https://app.example/cb#x',
      'javascript:alert(1)',
    ]) {
      const refused = await run(
        'app',
        'create',
        '--tenant',
        tenant.slug,
        '--name',
        'Bad',
        '--type',
        'web',
        '--redirect-uri',
        bad,
      )
      expect(refused.code).toBe(2)
      expect(refused.err).toContain('redirectUris')
    }
    expect((await run('app', 'create', '--tenant', tenant.slug)).code).toBe(2)
  })
})
