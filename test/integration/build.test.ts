import { execFile } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { onPostgres } from '../support/database.js'
import { type GatewayProcess, startGateway } from '../support/process.js'

// The package as an app gets it: `npm pack` (which builds dist/), installed in an app of its own
// with the production dependencies only (no tsx, no TypeScript). The installed gateway serves on
// its embedded database, and the app's own script verifies a token it issued through the
// `auth-gateway/verifier` export, whose types the compiler finds. Once per CI run: the PGlite pass.
const run = promisify(execFile)
const ROOT = new URL('../..', import.meta.url).pathname
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc')
// npm pack compiles the whole project, and npm install unpacks the dependencies: minutes on a
// busy machine, no deadline of their own.
const SLOW = { timeout: 600_000 }

/** An HTTP request to the gateway on 127.0.0.1 for a tenant's host. */
function call(
  port: number,
  path: string,
  options: { host?: string; method?: string; headers?: Record<string, string>; body?: string },
) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: options.method ?? 'GET',
        headers: { host: options.host ?? `localhost:${port}`, ...options.headers },
      },
      (res) => {
        let body = ''
        res.on('data', (d) => (body += d))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
      },
    )
    req.on('error', reject)
    req.end(options.body)
  })
}

// The app's script: the verifier reads the tenant's JWKS through a fetch that connects to
// 127.0.0.1 with the tenant's Host (*.localhost does not resolve here).
const VERIFY_SCRIPT = `
import { request } from 'node:http'
import { verifyAccessToken } from 'auth-gateway/verifier'
const [token, issuer, port] = process.argv.slice(2)
const fetchByHost = (url) => new Promise((resolve, reject) => {
  const u = new URL(url)
  request({ host: '127.0.0.1', port, path: u.pathname, headers: { host: u.host } }, (res) => {
    const chunks = []
    res.on('data', (c) => chunks.push(c))
    res.on('end', () => resolve(new Response(Buffer.concat(chunks), { status: res.statusCode, headers: res.headers })))
  }).on('error', reject).end()
})
const claims = await verifyAccessToken(token, { issuer, audience: issuer + '/api', fetch: fetchByHost })
console.log(JSON.stringify(claims))
`

// Compiled by the app's compiler run: the export's declarations resolve, with their names.
const TYPES_CHECK = `
import { verifyAccessToken, type AccessTokenClaims } from 'auth-gateway/verifier'
export async function subject(token: string): Promise<string> {
  const claims: AccessTokenClaims = await verifyAccessToken(token, { issuer: 'https://a.example', audience: 'https://a.example/api' })
  return claims.sub
}
`

describe.skipIf(onPostgres())('the packed package in an app of its own', SLOW, () => {
  const work = mkdtempSync(join(tmpdir(), 'gateway-pack-'))
  const app = join(work, 'app')
  let gateway: GatewayProcess | undefined

  beforeAll(async () => {
    await run('npm', ['pack', '--silent', '--pack-destination', work], { cwd: ROOT })
    const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'))
    expect(tarball).toBeDefined()
    await run('mkdir', ['-p', app])
    writeFileSync(
      join(app, 'package.json'),
      JSON.stringify({ name: 'an-app', private: true, type: 'module' }),
    )
    await run(
      'npm',
      ['install', '--omit=dev', '--prefer-offline', '--no-audit', '--no-fund', join(work, tarball!)],
      { cwd: app },
    )
  }, SLOW.timeout)

  afterAll(async () => {
    await gateway?.stop()
    rmSync(work, { recursive: true, force: true })
  })

  it('ships compiled JavaScript and no TypeScript source', () => {
    const installed = join(app, 'node_modules/auth-gateway')
    const files = readdirSync(installed, { recursive: true }).map(String)
    expect(files).toContain('bin/gateway.js')
    expect(files).toContain('dist/src/verifier/index.js')
    expect(files).toContain('dist/src/verifier/index.d.ts')
    expect(files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([])
    // Nothing the run needs is a devDependency: the install has no tsx and no compiler.
    const modules = readdirSync(join(app, 'node_modules'))
    expect(modules).not.toContain('tsx')
    expect(modules).not.toContain('typescript')
  })

  it('serves on the embedded database, and its verifier accepts the tokens it issues', async () => {
    const data = join(work, 'data')
    gateway = await startGateway(
      { DATA_DIR: data, NODE_ENV: 'development' },
      [],
      join(app, 'node_modules/auth-gateway/bin/gateway.js'),
    )
    const { port } = gateway
    await gateway.until(
      async () => (await call(port, '/readyz', {})).status === 200,
      'the packed gateway is ready',
    )
    const key = /admin API key \(shown once\): (gwk_[\w-]+)/.exec(gateway.output())?.[1]
    expect(key, gateway.output()).toBeDefined()

    const created = await call(port, '/admin/api/v1/tenants/demo/apps', {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Packed app check', type: 'machine', redirectUris: [] }),
    })
    expect(created.status, created.body).toBe(201)
    const { clientId, clientSecret } = JSON.parse(created.body) as Record<string, string>

    const host = `demo.localhost:${port}`
    const granted = await call(port, '/token', {
      host,
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials',
    })
    expect(granted.status, granted.body).toBe(200)
    const { access_token: token } = JSON.parse(granted.body) as { access_token: string }

    writeFileSync(join(app, 'verify.mjs'), VERIFY_SCRIPT)
    const verified = await run('node', ['verify.mjs', token, `http://${host}`, String(port)], {
      cwd: app,
    })
    expect(JSON.parse(verified.stdout)).toMatchObject({ sub: clientId, client_id: clientId })
  })

  it('gives an app written in TypeScript the verifier’s types', async () => {
    writeFileSync(join(app, 'check.ts'), TYPES_CHECK)
    const compiled = await run(
      'node',
      [TSC, '--noEmit', '--strict', '--module', 'nodenext', '--skipLibCheck', 'check.ts'],
      { cwd: app },
    ).catch((error: { stdout: string }) => ({ stdout: error.stdout, failed: true }))
    expect(compiled).not.toHaveProperty('failed')
  })
})
