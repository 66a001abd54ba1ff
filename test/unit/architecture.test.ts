import { readdirSync, readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'

// CONVENTIONS.md: "a route translates, a domain function decides, a query talks to Postgres".
const sources = readdirSync('src', { recursive: true, encoding: 'utf8' })
  .filter((path) => path.endsWith('.ts'))
  .map((path) => ({ path, code: readFileSync(`src/${path}`, 'utf8') }))

/** Files importing `module` at runtime; `import type` is free. */
const importersOf = (module: string) => {
  const runtimeImport = new RegExp(`^import (?!type )[^;]*?from '${module}(/[^']*)?'`, 'm')
  return sources.filter((s) => runtimeImport.test(s.code)).map((s) => s.path)
}
const outside = (paths: string[], allowed: RegExp) => paths.filter((p) => !allowed.test(p))

describe('layering', () => {
  it('keeps Express at the edge', () => {
    expect(outside(importersOf('express'), /^(app|main)\.ts$|^http\/|\.routes\.ts$/)).toEqual([])
  })

  it('keeps SQL in queries, stores and db/', () => {
    expect(outside(importersOf('kysely'), /^db\/|\.queries\.ts$|\.store\.ts$/)).toEqual([])
  })

  it('reads the environment only in config.ts', () => {
    const readers = sources.filter((s) => s.code.includes('process.env')).map((s) => s.path)
    expect(outside(readers, /^config\.ts$/)).toEqual([])
  })

  it('keeps domain modules free of HTTP and of the global config', () => {
    const domain = sources.filter(
      (s) => !/^(app|main|config|cli\/.*|http\/.*|.*\.routes|.*\.pages)\.ts$/.test(s.path),
    )
    const offenders = domain.filter((s) =>
      /^import (?!type )[^;]*from '(express|\.\.?\/(\.\.\/)*config\.js)'/m.test(s.code),
    )
    expect(offenders.map((s) => s.path)).toEqual([])
  })

  it.each([
    ['tenants', ['identity', 'invitations', 'sso', 'tokens']],
    ['identity', ['invitations', 'sso', 'tokens']],
    ['mail', ['identity', 'invitations', 'sso', 'tokens']],
  ])('keeps feature dependencies pointing one way: %s imports none of %j', (feature, above) => {
    const offenders = sources
      .filter((s) => s.path.startsWith(`${feature}/`))
      .filter((s) => above.some((f) => new RegExp(`from '\\.\\./${f}/`).test(s.code)))
      .map((s) => s.path)
    expect(offenders).toEqual([])
  })

  it("reaches another feature's tables only through its domain modules", () => {
    const offenders = sources
      .filter((s) => !/^(jobs|admin|cli)\//.test(s.path))
      .filter((s) => /from '\.\.\/[a-z-]+\/[a-z.-]+\.(queries|store)\.js'/.test(s.code))
      .filter((s) => !/^(http\/rate-limit\.ts)$/.test(s.path)) // the limiter middleware wraps its store
      .map((s) => s.path)
    expect(offenders).toEqual([])
  })

  it('keeps migrations frozen: they import kysely only', () => {
    const migrations = readdirSync('migrations').map((f) => ({
      f,
      code: readFileSync(`migrations/${f}`, 'utf8'),
    }))
    const imports = migrations.flatMap(({ f, code }) =>
      [...code.matchAll(/from '([^']+)'/g)]
        .map((m) => m[1])
        .filter((m) => m !== 'kysely')
        .map((m) => `${f}: ${m}`),
    )
    expect(imports).toEqual([])
  })

  it.each([
    ['@node-saml/node-saml', /^sso\/saml\.ts$/],
    ['openid-client', /^sso\/oidc\.ts$/],
    ['nodemailer', /^mail\/smtp\.ts$/],
    ['oidc-provider', /^tokens\//],
    ['@electric-sql/pglite', /^db\/database\.ts$/],
    ['pg', /^db\/database\.ts$/],
    ['@node-rs/argon2', /^identity\/hashing\.ts$/],
    ['rate-limiter-flexible', /^security\/rate-limits\.store\.ts$/],
    ['cookie', /^http\/cookies\.ts$/],
  ])('keeps %s behind one seam', (module, seam) => {
    expect(outside(importersOf(module), seam)).toEqual([])
  })
})
