// The peer of bench/login.ts: Better Auth's email + password sign-in on node:http, in a process of
// its own, on its own PostgreSQL database, hashing with the gateway's argon2id parameters through
// its password hook. Forked by bench/login.ts (which creates and drops the database); sends the
// parent its port once its tables exist and its users are signed up.
// Env: BA_DATABASE_URL, BA_USERS, BA_PASSWORD, BA_RATE_LIMIT ('database' or 'memory').
import { randomBytes } from 'node:crypto'
import { createServer } from 'node:http'
import { hash, verify } from '@node-rs/argon2'
import { type BetterAuthOptions, betterAuth } from 'better-auth'
import { getMigrations } from 'better-auth/db/migration'
import { toNodeHandler } from 'better-auth/node'
import pg from 'pg'
import { DEFAULT_ARGON2_PARAMS } from '../src/identity/hashing.js'

const env = (name: string) => {
  const value = process.env[name]
  if (!value) throw new Error(`${name} is required`)
  return value
}
const users = Number(env('BA_USERS'))
const password = env('BA_PASSWORD')
const storage: 'memory' | 'database' =
  process.env.BA_RATE_LIMIT === 'memory' ? 'memory' : 'database'

const server = createServer()
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
const { port } = server.address() as { port: number }

const options: BetterAuthOptions = {
  // The gateway's pool size (src/db/database.ts).
  database: new pg.Pool({ connectionString: env('BA_DATABASE_URL'), max: 10 }),
  secret: randomBytes(32).toString('base64url'),
  baseURL: `http://127.0.0.1:${port}`,
  emailAndPassword: {
    enabled: true,
    password: {
      hash: (plain: string) => hash(plain, { algorithm: 2, ...DEFAULT_ARGON2_PARAMS }),
      verify: ({ hash: encoded, password: plain }: { hash: string; password: string }) =>
        verify(encoded, plain),
    },
  },
  // Its limits on in production, kept where every process sees them, as the gateway's are; the
  // client address comes from X-Forwarded-For as behind a load balancer (the gateway's
  // TRUST_PROXY=loopback in the bench).
  rateLimit: { enabled: true, storage },
  advanced: { ipAddress: { ipAddressHeaders: ['x-forwarded-for'] } },
  telemetry: { enabled: false },
  logger: { level: 'error' },
}

const auth = betterAuth(options)
const { runMigrations } = await getMigrations(options)
await runMigrations()
for (let i = 0; i < users; i++) {
  await auth.api.signUpEmail({
    body: { email: `user${i}@bench.test`, password, name: `User ${i}` },
  })
}
server.on('request', toNodeHandler(auth))
process.send?.(port)
