import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { loadConfig } from '../../src/config.js'

// Issue 13: docker-compose.yml runs PostgreSQL, PgBouncer in transaction pooling mode, two
// gateway replicas, HAProxy in front and Mailpit. Checked here without Docker (the structure,
// each replica's environment through the gateway's own configuration schema, the files it
// mounts), and with `docker compose config` where Docker is installed.
type Service = {
  image?: string
  build?: string
  ports?: string[]
  volumes?: string[]
  environment?: Record<string, string>
  depends_on?: Record<string, { condition: string }> | string[]
  healthcheck?: { test: string[] }
}
const compose = parse(readFileSync('docker-compose.yml', 'utf8')) as {
  services: Record<string, Service>
  volumes?: Record<string, unknown>
}
const services = compose.services
const GATEWAYS = ['gateway-1', 'gateway-2']

/** Compose's interpolation of `${NAME}`, `${NAME:-default}` and `${NAME:?message}`. */
function interpolate(value: string, env: Record<string, string>): string {
  return value.replace(/\$\{(\w+)(?::([-?])([^}]*))?\}/g, (_all, name: string, op, arg = '') => {
    const set = env[name]
    if (set) return set
    if (op === '?') throw new Error(`${name}: ${arg}`)
    return op === '-' ? arg : ''
  })
}
const environmentOf = (service: Service, env: Record<string, string>) =>
  Object.fromEntries(
    Object.entries(service.environment ?? {}).map(([k, v]) => [k, interpolate(String(v), env)]),
  )

/** key = value lines per [section] of an ini file (PgBouncer's), comments dropped. */
function ini(text: string): Record<string, Record<string, string>> {
  const sections: Record<string, Record<string, string>> = {}
  let current = sections['']!
  for (const raw of text.split('\n')) {
    const line = raw.replace(/^\s*[;#].*$/, '').trim()
    const section = /^\[(.+)\]$/.exec(line)
    if (section) current = sections[section[1]!] = {}
    else if (line.includes('=')) {
      const at = line.indexOf('=')
      current[line.slice(0, at).trim()] = line.slice(at + 1).trim()
    }
  }
  return sections
}
const dependencies = (service: Service) =>
  Array.isArray(service.depends_on) ? service.depends_on : Object.keys(service.depends_on ?? {})
const mounted = (service: Service, target: string) => {
  const volume = service.volumes?.find((v) => v.split(':')[1] === target)
  if (!volume) throw new Error(`nothing mounted at ${target}`)
  return volume.split(':')[0]!
}

describe('docker-compose.yml', () => {
  const operator = { SECRET_KEY: 'an operator secret key of at least 32 characters' }

  it('runs HAProxy, two gateway replicas, PgBouncer, PostgreSQL and Mailpit', () => {
    expect(Object.keys(services).sort()).toEqual(
      ['gateway-1', 'gateway-2', 'haproxy', 'mailpit', 'pgbouncer', 'postgres'].sort(),
    )
    for (const name of GATEWAYS) expect(services[name]!.build).toBe('.')
    for (const [name, service] of Object.entries(services))
      for (const needed of dependencies(service))
        expect(services[needed], `${name} depends on ${needed}`).toBeDefined()
  })

  it('publishes only the balancer, its statistics on loopback, and the mailbox', () => {
    const published = Object.entries(services)
      .filter(([, s]) => s.ports?.length)
      .map(([name, s]) => [name, s.ports])
    expect(Object.fromEntries(published)).toEqual({
      haproxy: ['3000:3000', '127.0.0.1:8404:8404'],
      mailpit: ['8025:8025'],
    })
  })

  it('gives each replica an environment the gateway accepts, reaching PostgreSQL through PgBouncer', () => {
    for (const name of GATEWAYS) {
      const env = environmentOf(services[name]!, operator)
      const config = loadConfig(env)
      expect(config.isProduction).toBe(true)
      expect(new URL(config.databaseUrl!).hostname).toBe('pgbouncer')
      expect(new URL(config.smtpUrl!).hostname).toBe('mailpit')
      expect(config.firstTenant).toEqual({
        slug: 'acme',
        name: 'Acme Store',
        hosts: [],
        adminEmail: 'admin@example.com',
      })
    }
    // The two are the same service twice: one YAML anchor, not two copies to drift apart.
    expect(services['gateway-1']).toEqual(services['gateway-2'])
    expect(() => environmentOf(services['gateway-1']!, {})).toThrow(/SECRET_KEY/)
  })

  it('pools in transaction mode in front of the postgres service, as the replicas log in', () => {
    const pgbouncer = services.pgbouncer!
    const conf = ini(readFileSync(mounted(pgbouncer, '/etc/pgbouncer/pgbouncer.ini'), 'utf8'))
    const url = new URL(environmentOf(services['gateway-1']!, operator).DATABASE_URL!)
    expect(conf.pgbouncer).toMatchObject({ pool_mode: 'transaction', listen_port: url.port })
    const database = url.pathname.slice(1)
    expect(conf.databases?.[database]).toMatch(/\bhost=postgres\b/)
    const users = readFileSync(mounted(pgbouncer, '/etc/pgbouncer/userlist.txt'), 'utf8')
    expect(users).toContain(`"${url.username}" "${decodeURIComponent(url.password)}"`)
    expect(conf.pgbouncer?.auth_file).toBe('/etc/pgbouncer/userlist.txt')
    expect(services.postgres!.environment).toMatchObject({
      POSTGRES_USER: url.username,
      POSTGRES_DB: database,
    })
  })

  it('balances every request round robin over both replicas, checked on /readyz', () => {
    const cfg = readFileSync(
      mounted(services.haproxy!, '/usr/local/etc/haproxy/haproxy.cfg'),
      'utf8',
    )
    expect(cfg).toMatch(/^\s*balance roundrobin$/m)
    expect(cfg).toMatch(/^\s*option http-server-close$/m)
    expect(cfg).toMatch(/^\s*http-check send meth GET uri \/readyz\b/m)
    const servers = [...cfg.matchAll(/^\s*server (\S+) (\S+):(\d+) check\b/gm)]
    expect(servers.map((s) => s[2])).toEqual(GATEWAYS)
    expect(servers.every((s) => s[3] === '3000')).toBe(true)
    expect(cfg).toMatch(/^\s*bind :3000$/m)
  })

  it.skipIf(!existsSync('/usr/sbin/haproxy'))('has a HAProxy configuration HAProxy accepts', () => {
    const check = spawnSync('/usr/sbin/haproxy', ['-c', '-f', 'deploy/haproxy.cfg'], {
      encoding: 'utf8',
    })
    expect(check.status, check.stderr).toBe(0)
  })

  // The real check where Docker (with its compose plugin) or Debian's docker-compose exists.
  const composeCommand = [['docker', 'compose'], ['docker-compose']].find(
    ([bin, ...args]) => spawnSync(bin!, [...args, 'version'], { stdio: 'ignore' }).status === 0,
  )
  it.skipIf(!composeCommand)('passes `docker compose config`', () => {
    const [bin, ...args] = composeCommand!
    const out = execFileSync(bin!, [...args, 'config', '--quiet'], {
      env: { PATH: process.env.PATH ?? '', ...operator },
      encoding: 'utf8',
    })
    expect(out).toBe('')
  })
})
