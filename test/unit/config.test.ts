import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { isAbsolute, join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../../src/config.js'

const testEnv = { NODE_ENV: 'test', SECRET_KEY: 'x'.repeat(40) }
const CONFIG_DIR = 'config'

/** The ConfigError `loadConfig` throws, or a failed expectation if it does not throw one. */
function configError(env: NodeJS.ProcessEnv, dir = CONFIG_DIR): ConfigError {
  try {
    loadConfig(env, dir)
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError)
    return error as ConfigError
  }
  throw new Error('expected loadConfig to throw a ConfigError')
}

describe('loadConfig: environment', () => {
  it('applies the defaults', () => {
    const config = loadConfig(testEnv, CONFIG_DIR)
    expect(config.port).toBe(3000)
    expect(config.baseDomain).toBe('localhost')
    expect(config.publicUrlTemplate).toBe('http://{host}:3000')
    expect(config.logLevel).toBe('info')
    expect(isAbsolute(config.dataDir)).toBe(true)
    expect(config.databaseUrl).toBeUndefined()
    expect(config.smtpUrl).toBeUndefined()
    expect(config.isProduction).toBe(false)
  })

  // Issue 13: the dev mailbox shows live activation links, so outside production the listeners
  // bind loopback only; production binds every interface (undefined) unless HOST says.
  it.each([
    [{}, '127.0.0.1'],
    [{ NODE_ENV: 'development' }, '127.0.0.1'],
    [{ NODE_ENV: 'production' }, undefined],
    [{ NODE_ENV: 'production', HOST: '10.0.0.5' }, '10.0.0.5'],
    [{ HOST: '0.0.0.0' }, '0.0.0.0'],
    [{ HOST: '::' }, '::'],
  ])('binds %o to %s', (env, host) => {
    expect(loadConfig({ ...testEnv, ...env }, CONFIG_DIR).host).toBe(host)
  })

  it('opens no management listener unless MANAGEMENT_PORT is set', () => {
    expect(loadConfig(testEnv, CONFIG_DIR).managementPort).toBeUndefined()
    expect(loadConfig({ ...testEnv, MANAGEMENT_PORT: '9464' }, CONFIG_DIR).managementPort).toBe(
      9464,
    )
  })

  it('returns a frozen object', () => {
    expect(Object.isFrozen(loadConfig(testEnv, CONFIG_DIR))).toBe(true)
  })

  it('substitutes {port} and drops a trailing slash from the URL template', () => {
    const env = { ...testEnv, PORT: '8080', PUBLIC_URL_TEMPLATE: 'https://{host}:{port}/' }
    const config = loadConfig(env, CONFIG_DIR)
    expect(config.port).toBe(8080)
    expect(config.publicUrlTemplate).toBe('https://{host}:8080')
  })

  it('ignores variables it does not know', () => {
    const env = { ...testEnv, PATH: '/usr/bin', HOME: '/root' }
    expect(() => loadConfig(env, CONFIG_DIR)).not.toThrow()
  })

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['PORT', '0'],
    ['BASE_DOMAIN', 'Bad_Domain!'],
    ['DATABASE_URL', 'mysql://x'],
    ['SMTP_URL', 'http://x'],
    ['SECRET_KEY', 'short'],
    ['LOG_LEVEL', 'loud'],
    ['NODE_ENV', 'staging'],
    ['PUBLIC_URL_TEMPLATE', 'http://fixed.example'],
    ['HOST', 'not an address'],
    ['MANAGEMENT_PORT', '70000'],
    ['MANAGEMENT_PORT', '3000'], // the public PORT: tenants would reach /metrics
  ])('refuses %s=%s with one problem naming it', (name, value) => {
    const error = configError({ ...testEnv, [name]: value })
    expect(error.problems).toHaveLength(1)
    expect(error.problems[0]).toMatch(new RegExp(`^${name}: `))
    expect(error.message).toContain(name)
    expect(error.message).not.toContain('    at ')
  })

  it('reports every bad variable together, one line each', () => {
    const bad = {
      PORT: 'abc',
      BASE_DOMAIN: 'Bad_Domain!',
      DATABASE_URL: 'mysql://x',
      SMTP_URL: 'http://x',
      SECRET_KEY: 'short',
      LOG_LEVEL: 'loud',
      NODE_ENV: 'staging',
      PUBLIC_URL_TEMPLATE: 'http://fixed.example',
    }
    const error = configError(bad)
    expect(error.problems).toHaveLength(Object.keys(bad).length)
    for (const name of Object.keys(bad)) {
      expect(error.problems.filter((p) => p.startsWith(`${name}: `))).toHaveLength(1)
    }
    expect(error.message).not.toContain('    at ')
  })

  it('refuses NODE_ENV=production without SECRET_KEY, naming SECRET_KEY', () => {
    const error = configError({ NODE_ENV: 'production' })
    expect(error.problems).toEqual([expect.stringMatching(/^SECRET_KEY: /)])
  })

  it('accepts NODE_ENV=production with a SECRET_KEY', () => {
    const config = loadConfig({ NODE_ENV: 'production', SECRET_KEY: 'x'.repeat(40) }, CONFIG_DIR)
    expect(config.isProduction).toBe(true)
  })

  // A refinement on the whole schema would be skipped once a field fails (zod's rule), hiding
  // the missing key until the next run.
  it('reports a missing production SECRET_KEY alongside other bad variables', () => {
    const error = configError({ NODE_ENV: 'production', PORT: 'abc' })
    expect(error.problems).toEqual([
      expect.stringMatching(/^PORT: /),
      expect.stringMatching(/^SECRET_KEY: /),
    ])
  })

  it('treats an empty variable as unset', () => {
    const config = loadConfig(
      { ...testEnv, PORT: '', BASE_DOMAIN: '', DATABASE_URL: '', SMTP_URL: '', LOG_LEVEL: '' },
      CONFIG_DIR,
    )
    expect(config.port).toBe(3000)
    expect(config.baseDomain).toBe('localhost')
    expect(config.databaseUrl).toBeUndefined()
    expect(config.smtpUrl).toBeUndefined()
    expect(config.logLevel).toBe('info')
  })

  it('treats an empty SECRET_KEY as missing in production', () => {
    const error = configError({ NODE_ENV: 'production', SECRET_KEY: '' })
    expect(error.problems).toEqual([expect.stringMatching(/^SECRET_KEY: /)])
  })
})

describe('loadConfig: config files', () => {
  const dirs: string[] = []
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
  })

  /** A copy of config/ with tenant-defaults.json replaced by `edit(original)`. */
  function configWithDefaults(edit: (defaults: Record<string, unknown>) => unknown): string {
    const dir = mkdtempSync(join(tmpdir(), 'gateway-config-'))
    dirs.push(dir)
    cpSync(CONFIG_DIR, dir, { recursive: true })
    const file = join(dir, 'tenant-defaults.json')
    const edited = edit(JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>)
    writeFileSync(file, typeof edited === 'string' ? edited : JSON.stringify(edited))
    return dir
  }

  it('loads an unchanged copy', () => {
    const dir = configWithDefaults((d) => d)
    const original = loadConfig(testEnv, CONFIG_DIR)
    expect(loadConfig(testEnv, dir).tenantDefaults).toEqual(original.tenantDefaults)
  })

  it('resolves the named password policy', () => {
    const config = loadConfig(testEnv, CONFIG_DIR)
    expect(config.tenantDefaults.passwordPolicy).toEqual(config.passwordPolicies.nist)
  })

  it('names the file and key of a bad duration', () => {
    const dir = configWithDefaults((d) => ({ ...d, invitationTtl: '7 days' }))
    const error = configError(testEnv, dir)
    expect(error.problems).toEqual([
      expect.stringMatching(/^config\/tenant-defaults\.json: invitationTtl: /),
    ])
    expect(error.message).not.toContain('    at ')
  })

  it('names the file and key of an unknown password policy', () => {
    const dir = configWithDefaults((d) => ({ ...d, passwordPolicy: 'no-such-policy' }))
    const error = configError(testEnv, dir)
    expect(error.problems).toHaveLength(1)
    expect(error.problems[0]).toMatch(/^config\/tenant-defaults\.json: passwordPolicy: /)
    expect(error.problems[0]).toContain('no-such-policy')
  })

  it('names the file and nested key of warnings in the wrong order', () => {
    const dir = configWithDefaults((d) => ({ ...d, warnings: { yellow: '3d', red: '7d' } }))
    const error = configError(testEnv, dir)
    expect(error.problems).toEqual([
      expect.stringMatching(/^config\/tenant-defaults\.json: warnings\.red: /),
    ])
  })

  it('names the file and key of an unknown key', () => {
    const dir = configWithDefaults((d) => ({ ...d, invitationTtlDays: 7 }))
    const error = configError(testEnv, dir)
    expect(error.problems).toHaveLength(1)
    expect(error.problems[0]).toMatch(/^config\/tenant-defaults\.json: /)
    expect(error.problems[0]).toContain('invitationTtlDays')
  })

  it('names the file holding invalid JSON, without a stack trace', () => {
    const dir = configWithDefaults(() => '{ "invitationTtl": "7d", ')
    const error = configError(testEnv, dir)
    expect(error.problems).toEqual([expect.stringMatching(/^config\/tenant-defaults\.json: /)])
    expect(error.message).not.toContain('    at ')
  })

  it('reports file problems together with environment problems', () => {
    const dir = configWithDefaults((d) => ({ ...d, invitationTtl: '7 days' }))
    const error = configError({ ...testEnv, PORT: 'abc' }, dir)
    expect(error.problems).toEqual([
      expect.stringMatching(/^PORT: /),
      expect.stringMatching(/^config\/tenant-defaults\.json: invitationTtl: /),
    ])
  })
})
