import { randomBytes } from 'node:crypto'
import { Writable } from 'node:stream'
import type { Express } from 'express'
import supertest from 'supertest'
import { beforeAll } from 'vitest'
import { createApp, type Deps } from '../../src/app.js'
import { loadConfig, type RuntimeConfig } from '../../src/config.js'
import type { Readiness } from '../../src/db/readiness.js'
import type { SigningAlg } from '../../src/db/schema.js'
import { createHasher, type Hasher } from '../../src/identity/hashing.js'
import { createLog, type Log } from '../../src/log.js'
import { createTenant, type Tenant } from '../../src/tenants/tenants.js'
import { type DatabaseChoice, type TestDb, useTestDb } from './database.js'

export const TEST_ENV = {
  NODE_ENV: 'test',
  LOG_LEVEL: 'info',
  SECRET_KEY: 'test-secret-key-test-secret-key-0123456789',
  BASE_DOMAIN: 'localhost',
  PORT: '3000',
}

/**
 * Tenants made in tests sign with ES256 unless a file asks for RS256 (the product's default,
 * config/tenant-defaults.json): an RSA key takes 0.2-0.3 s of CPU to generate, and the suite
 * makes about a hundred tenants. The files about signing and verifying use RS256.
 */
export type TestOptions = { signingAlg?: SigningAlg }

export function testConfig(
  env: Record<string, string> = {},
  { signingAlg = 'ES256' }: TestOptions = {},
): RuntimeConfig {
  const config = loadConfig({ ...TEST_ENV, ...env })
  const { tenantDefaults } = config
  return {
    ...config,
    secretKey: config.secretKey ?? TEST_ENV.SECRET_KEY,
    // No tenant cache: a test sees its own settings change at once, without waiting out the TTL.
    tenantCacheTtlMs: 0,
    tenantDefaults: { ...tenantDefaults, tokens: { ...tenantDefaults.tokens, signingAlg } },
  }
}

/** A logger whose JSON lines the test can read back. */
export function memoryLog(): { log: Log; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = []
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk))
      done()
    },
  })
  return {
    log: createLog('info', stream),
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  }
}

export const randomSlug = (prefix = 't') => `${prefix}-${randomBytes(5).toString('hex')}`

export type Gateway = TestDb & {
  app: Express
  config: RuntimeConfig
  readiness: Readiness
  hasher: Hasher
  logs: () => Record<string, unknown>[]
  createTenant: (input?: {
    slug?: string
    name?: string
    hosts?: string[]
    shareDirectoryWith?: string | undefined
  }) => Promise<Tenant>
  get: (host: string, path?: string) => supertest.Test
}

/**
 * The app for this file's tests, on the worker's shared database: each test makes its own
 * tenants, so none need cleanup. A file that looks across tenants (jobs scanning every tenant,
 * counts) asks for `{ database: 'own' }`.
 */
export function useGateway(
  env: Record<string, string> = {},
  options: { database?: DatabaseChoice } & TestOptions = {},
): Gateway {
  const database = useTestDb(options)
  const gw = database as Gateway
  beforeAll(() => void gatewayOn(database, env, options, gw))
  return gw
}

/**
 * A gateway app on `database` (a test's own PostgreSQL cluster, say), as useGateway makes one;
 * fills `into` when given (useGateway's object, made before its database opens).
 */
export function gatewayOn(
  database: TestDb,
  env: Record<string, string> = {},
  options: TestOptions = {},
  into = database as Gateway,
): Gateway {
  const gw = Object.assign(into, database)
  const config = testConfig(env, options)
  const { log, lines } = memoryLog()
  const readiness = { migrated: true }
  const hasher = createHasher()
  Object.assign(gw, {
    config,
    readiness,
    logs: lines,
    hasher,
    app: createApp({ config, db: gw.db, log, readiness, hasher }),
    createTenant: (input: Parameters<Gateway['createTenant']>[0] = {}) => {
      const slug = input.slug ?? randomSlug()
      return gw.db.transaction().execute((tx) =>
        createTenant(
          tx,
          {
            slug,
            name: input.name ?? `Store ${slug}`,
            hosts: input.hosts ?? [],
            shareDirectoryWith: input.shareDirectoryWith,
            settings: config.tenantDefaults,
          },
          config,
        ),
      )
    },
    get: (host: string, path = '/') => supertest(gw.app).get(path).set('Host', host),
  })
  return gw
}

/** A second app on gw's database, sharing nothing in memory with gw.app; `deps` replace parts. */
export const separateApp = (gw: Gateway, deps: Partial<Deps> = {}): Express =>
  createApp({
    config: gw.config,
    db: gw.db,
    log: memoryLog().log,
    readiness: { migrated: true },
    hasher: createHasher(),
    ...deps,
  })
