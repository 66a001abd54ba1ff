import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { tenantWithKey as tenantWithApiKey } from '../support/admin-api.js'
import { ConfigError, loadConfig } from '../../src/config.js'
import { TEST_ENV, useGateway } from '../support/harness.js'

// Issue 9: `999999w` made a token live 19,178 years and broke every invitation with a 500.
const gw = useGateway()
const CONFIG_DIR = fileURLToPath(new URL('../../config', import.meta.url))

async function patchSettings(patch: Record<string, unknown>) {
  const { api } = await tenantWithApiKey(gw)
  return api('patch', '/settings').send(patch)
}

const tokens = (patch: Record<string, string>) => ({
  tokens: {
    accessTokenTtl: '10m',
    idTokenTtl: '10m',
    refreshTokenTtl: '30d',
    signingAlg: 'RS256',
    ...patch,
  },
})

describe('duration settings have ceilings (RFC 9700 4.14, OWASP ASVS 5.0 V9.2.1)', () => {
  it.each([
    [tokens({ accessTokenTtl: '999999w' }), 'tokens.accessTokenTtl', 'at most 1d'],
    [tokens({ accessTokenTtl: '25h' }), 'tokens.accessTokenTtl', 'at most 1d'],
    [tokens({ idTokenTtl: '2d' }), 'tokens.idTokenTtl', 'at most 1d'],
    [tokens({ refreshTokenTtl: '53w' }), 'tokens.refreshTokenTtl', 'at most 365d'],
    [{ invitationTtl: '999999w' }, 'invitationTtl', 'at most 90d'],
    [{ resendCooldown: '8d' }, 'resendCooldown', 'at most 7d'],
    [{ reminderInterval: '31d' }, 'reminderInterval', 'at most 30d'],
    [{ retention: '999d' }, 'retention', 'at most 730d'],
    [{ warnings: { yellow: '91d' } }, 'warnings.yellow', 'at most 90d'],
  ])('refuses %j with 400 naming the field', async (patch, field, message) => {
    const res = await patchSettings(patch)
    expect(res.status).toBe(400)
    expect(res.body.error).toBe('invalid_request')
    expect(res.body.details.fields[field]).toEqual([message])
  })

  it('accepts each ceiling itself', async () => {
    const res = await patchSettings({
      ...tokens({ accessTokenTtl: '24h', idTokenTtl: '1d', refreshTokenTtl: '52w' }),
      invitationTtl: '90d',
      retention: '730d',
    })
    expect(res.status).toBe(200)
    expect(res.body.invitationTtl).toBe('90d')
  })

  describe('in config/tenant-defaults.json', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gateway-config-'))
    afterAll(() => rmSync(dir, { recursive: true, force: true }))

    it('stop the start with a line naming the key', () => {
      cpSync(CONFIG_DIR, dir, { recursive: true })
      const file = join(dir, 'tenant-defaults.json')
      const defaults = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>
      writeFileSync(file, JSON.stringify({ ...defaults, invitationTtl: '999999w' }))
      const error = (() => {
        try {
          loadConfig(TEST_ENV, dir)
        } catch (err) {
          return err
        }
      })()
      expect(error).toBeInstanceOf(ConfigError)
      expect((error as ConfigError).problems).toEqual([
        'config/tenant-defaults.json: invitationTtl: at most 90d',
      ])
    })
  })
})
