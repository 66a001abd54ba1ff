import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as z from 'zod'
import { normalizeHost } from './tenants/hosts.js'
import { FirstTenantEnv, firstTenantOf } from './console/first-tenant.js'
import { loadTemplates, type MailDefaults } from './mail/templates.js'
import { PasswordPolicy, TenantSettings, TenantSettingsShape } from './tenants/settings.js'

// Process facts and secrets come from the environment; what a person edits lives in config/.
// A key lives in exactly one of the two.
// config/ of this package, wherever the command runs from (`npx gateway` in another folder).
const PACKAGE_CONFIG = fileURLToPath(new URL('../config', import.meta.url))

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const

// IPv4 loopback: every test and tool here reaches the gateway at 127.0.0.1, and browsers and curl
// fall back to it from ::1 for *.localhost names.
const LOOPBACK = '127.0.0.1'

const PORT_RULE = 'a port number from 1 to 65535'
const Env = z.object({
  PORT: z.coerce
    .number({ error: PORT_RULE })
    .int(PORT_RULE)
    .min(1, PORT_RULE)
    .max(65535, PORT_RULE)
    .default(3000),
  // Where the listeners bind. Unset: every interface in production, loopback otherwise (the dev
  // mailbox shows live activation links, which must not be served to the network).
  HOST: z
    .string()
    .regex(
      /^([0-9a-f:.]+|[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*)$/i,
      'an interface address such as "0.0.0.0", "::" or "127.0.0.1"',
    )
    .optional(),
  // Operators' listener (/metrics, /healthz, /readyz), never a tenant's: unset, none is opened.
  MANAGEMENT_PORT: z.coerce
    .number({ error: PORT_RULE })
    .int(PORT_RULE)
    .min(1, PORT_RULE)
    .max(65535, PORT_RULE)
    .optional(),
  BASE_DOMAIN: z
    .string()
    .regex(
      /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/,
      'a lowercase DNS name such as "localhost" or "stores.example.com"',
    )
    .default('localhost'),
  PUBLIC_URL_TEMPLATE: z
    .string()
    .regex(
      /^https?:\/\/[^/?#]*\{(host|slug)\}[^/?#]*\/?$/,
      'an origin containing {host} or {slug}, such as "https://{host}"',
    )
    .default('http://{host}:{port}'),
  // The host of the platform tenant, whose admins administer every tenant (src/console/platform.ts).
  PLATFORM_HOST: z
    .string()
    .transform((h) => normalizeHost(h) ?? '')
    .refine((h) => h !== '', 'a DNS host name such as "admin.localhost" or "admin.example.com"')
    .default('admin.localhost'),
  DATABASE_URL: z
    .string()
    .regex(
      /^postgres(ql)?:\/\/\S+$/,
      'a postgres:// URL (leave it unset for the embedded database)',
    )
    .optional(),
  SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\/\S+$/, 'an smtp:// or smtps:// URL')
    .optional(),
  SECRET_KEY: z
    .string()
    .min(32, 'at least 32 characters (e.g. `openssl rand -base64 48`)')
    .optional(),
  DATA_DIR: z.string().min(1).default('./data'),
  MAIL_FROM: z.email('an email address such as "no-reply@stores.example.com"').optional(),
  // Off by default: X-Forwarded-For is believed only from proxies the operator names.
  TRUST_PROXY: z
    .string()
    .regex(
      /^(true|false|\d{1,2}|loopback|linklocal|uniquelocal|[\d.:/a-f, ]+)$/i,
      'true, false, a hop count, or proxy addresses/subnets',
    )
    .default('false'),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  // Leeway for SAML time conditions and OIDC ID-token times: small, clocks drift a little.
  SSO_CLOCK_SKEW: z.coerce
    .number({ error: 'a number of seconds from 0 to 300' })
    .int('a number of seconds from 0 to 300')
    .min(0, 'a number of seconds from 0 to 300')
    .max(300, 'a number of seconds from 0 to 300')
    .default(60),
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  ...FirstTenantEnv,
})

const TenantDefaultsFile = TenantSettingsShape.extend({ passwordPolicy: z.string() })
const Seed = z.strictObject({
  slug: z.string(),
  name: z.string(),
  hosts: z.array(z.string()),
  directory: z.strictObject({ kind: z.literal('database'), name: z.string() }),
  /** The demo tenant's admin: the first run prints a one-time link that invites them. */
  admin: z.strictObject({ email: z.email() }).optional(),
})

export type Config = ReturnType<typeof loadConfig>
/** The configuration a running gateway uses: SECRET_KEY resolved (secret-key.ts). */
export type RuntimeConfig = Omit<Config, 'secretKey'> & {
  readonly secretKey: string
  /** How long a resolved tenant is cached (http/tenant.ts); only tests set it (to 0). */
  readonly tenantCacheTtlMs?: number
}
export type Seed = z.infer<typeof Seed>

export class ConfigError extends Error {
  override readonly name = 'ConfigError'
  readonly problems: string[]
  constructor(problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  ${p}`).join('\n')}`)
    this.problems = problems
  }
}

/** Parses the environment and config/ once; every problem is reported together. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, dir = PACKAGE_CONFIG) {
  const problems: string[] = []
  const vars = blankToUndefined(env)
  const e = check(Env, vars, problems, (key) => key)
  // Checked apart from the schema so it is reported even when other variables are bad too.
  if (vars.NODE_ENV === 'production' && vars.SECRET_KEY === undefined)
    problems.push('SECRET_KEY: required when NODE_ENV=production')
  if (e?.MANAGEMENT_PORT !== undefined && e.MANAGEMENT_PORT === e.PORT)
    problems.push('MANAGEMENT_PORT: must differ from PORT (tenants must not reach /metrics)')
  const policies = check(
    z.record(z.string(), PasswordPolicy),
    readJson(dir, 'password-policies.json', problems),
    problems,
    (key) => `config/password-policies.json: ${key}`,
  )
  const defaults = check(
    TenantDefaultsFile,
    readJson(dir, 'tenant-defaults.json', problems),
    problems,
    (key) => `config/tenant-defaults.json: ${key}`,
  )
  const seed = check(
    Seed,
    readJson(dir, 'seed/demo.json', problems),
    problems,
    (key) => `config/seed/demo.json: ${key}`,
  )

  let tenantDefaults: TenantSettings | undefined
  if (defaults && policies) {
    const policy = policies[defaults.passwordPolicy]
    if (!policy)
      problems.push(
        `config/tenant-defaults.json: passwordPolicy: no policy named "${defaults.passwordPolicy}" in password-policies.json`,
      )
    else
      tenantDefaults = check(
        TenantSettings,
        { ...defaults, passwordPolicy: policy },
        problems,
        (key) => `config/tenant-defaults.json: ${key}`,
      )
  }
  const mailTemplates = readTemplates(dir, problems)
  const firstTenant = e && firstTenantOf(e, problems)
  if (!e || !policies || !tenantDefaults || !seed || !mailTemplates || problems.length > 0) {
    throw new ConfigError(problems)
  }

  return Object.freeze({
    port: e.PORT,
    host: e.HOST ?? (e.NODE_ENV === 'production' ? undefined : LOOPBACK),
    managementPort: e.MANAGEMENT_PORT,
    baseDomain: e.BASE_DOMAIN,
    publicUrlTemplate: e.PUBLIC_URL_TEMPLATE.replace('{port}', String(e.PORT)).replace(/\/$/, ''),
    platformHost: e.PLATFORM_HOST,
    databaseUrl: e.DATABASE_URL,
    smtpUrl: e.SMTP_URL,
    mailFrom: e.MAIL_FROM ?? `no-reply@${e.BASE_DOMAIN}`,
    trustProxy: parseTrustProxy(e.TRUST_PROXY),
    secretKey: e.SECRET_KEY,
    dataDir: resolve(e.DATA_DIR),
    logLevel: e.LOG_LEVEL,
    isProduction: e.NODE_ENV === 'production',
    ssoClockSkewSeconds: e.SSO_CLOCK_SKEW,
    firstTenant,
    passwordPolicies: policies,
    tenantDefaults,
    seed,
    mailTemplates,
  })
}

function parseTrustProxy(value: string): boolean | number | string {
  if (/^(true|false)$/i.test(value)) return value.toLowerCase() === 'true'
  return /^\d+$/.test(value) ? Number(value) : value
}

function check<S extends z.ZodType>(
  schema: S,
  input: unknown,
  problems: string[],
  label: (key: string) => string,
): z.output<S> | undefined {
  if (input === undefined) return undefined
  const result = schema.safeParse(input)
  if (result.success) return result.data
  for (const issue of result.error.issues) {
    problems.push(`${label(issue.path.join('.') || '(root)')}: ${issue.message}`)
  }
  return undefined
}

// An empty variable (`PORT=`) means "not set", as in most twelve-factor tools.
const blankToUndefined = (env: NodeJS.ProcessEnv) =>
  Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''))

function readTemplates(dir: string, problems: string[]): MailDefaults | undefined {
  try {
    return loadTemplates(join(dir, 'email-templates'))
  } catch (cause) {
    problems.push(
      `config/email-templates: ${cause instanceof Error ? cause.message : String(cause)}`,
    )
    return undefined
  }
}

function readJson(dir: string, file: string, problems: string[]): unknown {
  try {
    return JSON.parse(readFileSync(join(dir, file), 'utf8'))
  } catch (cause) {
    problems.push(`config/${file}: ${cause instanceof Error ? cause.message : String(cause)}`)
    return undefined
  }
}
