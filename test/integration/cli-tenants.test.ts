import { describe, expect, it } from 'vitest'
import { runCli, runMain } from '../support/cli.js'
import { useTestDb } from '../support/database.js'
import { randomSlug, testConfig } from '../support/harness.js'

// Issue 2, "CLI": bad arguments -> usage and exit 2; conflicts -> a clear message and exit 1.
describe('gateway tenant …', () => {
  const database = useTestDb()
  const config = testConfig()

  const run = (...argv: string[]) => runCli({ config, db: database.db }, ...argv)

  it('creates a tenant with hosts, normalised, and shows it', async () => {
    const slug = randomSlug()
    const created = await run(
      'tenant',
      'create',
      '--slug',
      slug,
      '--name',
      'Acme Store',
      '--host',
      `Store.${slug}.Example.com.`,
      '--host',
      `b.${slug}.example.com`,
    )
    expect(created).toMatchObject({ code: 0, err: '' })
    expect(created.out).toBe(`created tenant ${slug} at http://store.${slug}.example.com:3000/`)

    const shown = await run('tenant', 'show', slug, '--json')
    expect(shown.code).toBe(0)
    const json = JSON.parse(shown.out)
    expect(json).toMatchObject({
      slug,
      name: 'Acme Store',
      primaryHost: `store.${slug}.example.com`,
    })
    expect(json.hosts).toEqual([`store.${slug}.example.com`, `b.${slug}.example.com`])
    expect(json.directories).toEqual([
      expect.objectContaining({ kind: 'database', name: 'Acme Store users' }),
    ])
    expect(json.settings.invitationTtl).toBe('14d')

    const text = await run('tenant', 'show', slug)
    expect(text.out).toContain('Acme Store (' + slug + ')')
  })

  it('lists tenants as text and as JSON', async () => {
    const slug = randomSlug()
    await run('tenant', 'create', '--slug', slug, '--name', 'Listed')
    const json = JSON.parse((await run('tenant', 'list', '--json')).out) as { slug: string }[]
    expect(json.map((t) => t.slug)).toContain(slug)
    expect((await run('tenant', 'list')).out).toMatch(
      new RegExp(`^${slug}\\s+Listed\\s+http://${slug}\\.localhost:3000/`, 'm'),
    )
  })

  it('refuses a taken slug with exit 1 and a clear message', async () => {
    const slug = randomSlug()
    expect((await run('tenant', 'create', '--slug', slug, '--name', 'One')).code).toBe(0)
    const again = await run('tenant', 'create', '--slug', slug, '--name', 'Two')
    expect(again).toMatchObject({ code: 1, err: `error: The slug "${slug}" is already taken.` })
  })

  it('refuses a host that belongs to another tenant with exit 1', async () => {
    const host = `${randomSlug()}.example.org`
    expect(
      (await run('tenant', 'create', '--slug', randomSlug(), '--name', 'One', '--host', host)).code,
    ).toBe(0)
    const again = await run(
      'tenant',
      'create',
      '--slug',
      randomSlug(),
      '--name',
      'Two',
      '--host',
      host.toUpperCase(),
    )
    expect(again).toMatchObject({
      code: 1,
      err: `error: The host "${host}" already belongs to another tenant.`,
    })
  })

  it("refuses a host that would take over another tenant's {slug}.BASE_DOMAIN", async () => {
    const victim = randomSlug()
    const res = await run(
      'tenant',
      'create',
      '--slug',
      randomSlug(),
      '--name',
      'Squatter',
      '--host',
      `${victim}.localhost`,
    )
    expect(res.code).toBe(2)
    expect(res.err).toContain(`reserved for the tenant "${victim}"`)
  })

  it.each([
    'a',
    'UPPER',
    'with_underscore',
    '-leading',
    'trailing-',
    'x'.repeat(41),
    'dots.in.slug',
    '',
  ])('refuses the slug %j with exit 2 and the rule', async (slug) => {
    const res = await run('tenant', 'create', '--slug', slug, '--name', 'Bad')
    expect(res.code).toBe(2)
    expect(res.err).toMatch(/slug|--slug/)
  })

  it('refuses a garbage host with exit 2 naming the field', async () => {
    const res = await run(
      'tenant',
      'create',
      '--slug',
      randomSlug(),
      '--name',
      'Bad host',
      '--host',
      'not a host',
    )
    expect(res.code).toBe(2)
    expect(res.err).toContain('hosts.0: a DNS host name')
  })

  it.each([
    [['tenant'], 'tenant needs a command'],
    [['tenant', 'rename'], 'unknown tenant command'],
    [['tenant', 'create', '--slug', 'abc'], 'needs --slug and --name'],
    [['tenant', 'create', '--bogus'], "Unknown option '--bogus'"],
    [['tenant', 'show'], 'exactly one SLUG'],
    [['migrate', 'now'], 'migrate takes no arguments'],
  ])('answers bad arguments %j with the usage and exit 2', async (argv, message) => {
    const res = await run(...argv)
    expect(res.code).toBe(2)
    expect(res.err).toContain(message)
    expect(res.err).toContain('usage: gateway <command>')
  })

  it('answers show of an unknown slug with exit 1', async () => {
    expect(await run('tenant', 'show', 'does-not-exist')).toMatchObject({
      code: 1,
      err: 'error: There is no tenant "does-not-exist".',
    })
  })

  it('migrate reports an up-to-date database', async () => {
    expect(await run('migrate')).toMatchObject({ code: 0, out: 'database is up to date' })
  })
})

// The entry point as bin/gateway.js calls it: what it returns is the process's exit code, and
// what it does not throw never reaches the terminal as a stack trace.
describe('gateway command line', () => {
  it('prints the usage and exits 2 without a command or with an unknown one', async () => {
    for (const args of [[], ['frobnicate']]) {
      const res = await runMain(args)
      expect(res.code).toBe(2)
      expect(res.err).toContain('usage: gateway <command>')
    }
  })

  it('exits 1 with one clear line per bad variable and no stack trace', async () => {
    const res = await runMain(['serve'], {
      PORT: 'abc',
      LOG_LEVEL: 'loud',
      DATABASE_URL: 'mysql://x',
      NODE_ENV: 'production',
    })
    expect(res.code).toBe(1)
    const lines = res.err.trim().split('\n')
    expect(lines[0]).toBe('Invalid configuration:')
    for (const variable of ['PORT', 'LOG_LEVEL', 'DATABASE_URL', 'SECRET_KEY']) {
      expect(lines.filter((l) => l.trimStart().startsWith(`${variable}:`))).toHaveLength(1)
    }
    expect(res.err).not.toMatch(/\n\s+at /)
  })
})
