import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../../src/config.js'

const env = { NODE_ENV: 'test', SECRET_KEY: 'x'.repeat(40) }
const problemsOf = (vars: Record<string, string>) => {
  try {
    loadConfig({ ...env, ...vars })
  } catch (error) {
    if (error instanceof ConfigError) return error.problems
    throw error
  }
  return []
}

describe('FIRST_TENANT_* and FIRST_ADMIN_EMAIL', () => {
  it('name the first tenant and its admin; the name defaults to the slug, the host to none', () => {
    const named = loadConfig({
      ...env,
      FIRST_TENANT_SLUG: 'acme',
      FIRST_TENANT_NAME: 'Acme Store',
      FIRST_TENANT_HOST: 'Login.Acme.Example.',
      FIRST_ADMIN_EMAIL: 'owner@acme.example',
    })
    expect(named.firstTenant).toEqual({
      slug: 'acme',
      name: 'Acme Store',
      hosts: ['login.acme.example'],
      adminEmail: 'owner@acme.example',
    })
    const bare = loadConfig({
      ...env,
      FIRST_TENANT_SLUG: 'acme',
      FIRST_ADMIN_EMAIL: 'o@acme.example',
    })
    expect(bare.firstTenant).toEqual({
      slug: 'acme',
      name: 'acme',
      hosts: [],
      adminEmail: 'o@acme.example',
    })
    expect(loadConfig(env).firstTenant).toBeUndefined()
    // Compose passes unset variables as empty strings: the same as not set.
    expect(
      loadConfig({ ...env, FIRST_TENANT_SLUG: '', FIRST_TENANT_HOST: '' }).firstTenant,
    ).toBeUndefined()
  })

  it('refuse to start when only half given, or badly, naming each variable', () => {
    expect(problemsOf({ FIRST_TENANT_SLUG: 'acme' })).toEqual([
      'FIRST_ADMIN_EMAIL: required with FIRST_TENANT_SLUG',
    ])
    expect(problemsOf({ FIRST_ADMIN_EMAIL: 'o@acme.example' })).toEqual([
      'FIRST_TENANT_SLUG: required with FIRST_ADMIN_EMAIL',
    ])
    expect(problemsOf({ FIRST_TENANT_HOST: 'login.acme.example' })).toEqual([
      'FIRST_TENANT_SLUG: required with FIRST_TENANT_HOST or FIRST_TENANT_NAME',
    ])
    const bad = problemsOf({
      FIRST_TENANT_SLUG: 'Acme!',
      FIRST_TENANT_HOST: '10.0.0.1',
      FIRST_ADMIN_EMAIL: 'not an address',
    })
    expect(bad.map((p) => p.split(':')[0]).sort()).toEqual([
      'FIRST_ADMIN_EMAIL',
      'FIRST_TENANT_HOST',
      'FIRST_TENANT_SLUG',
    ])
  })
})
