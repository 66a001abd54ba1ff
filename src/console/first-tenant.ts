import * as z from 'zod'
import { normalizeHost, SLUG } from '../tenants/hosts.js'

/**
 * The first store and its admin, named by the environment of a deployment that starts on an
 * empty database (docker-compose.yml): made once by `serve` (first-run.ts). Parsed with the rest
 * of the environment in config.ts, so a bad value stops the start with the variable's name.
 */
export const FirstTenantEnv = {
  FIRST_TENANT_SLUG: z
    .string()
    .regex(SLUG, "2 to 40 characters of a-z, 0-9 and '-', not starting or ending with '-'")
    .optional(),
  FIRST_TENANT_NAME: z.string().trim().min(1).max(200).optional(),
  FIRST_TENANT_HOST: z
    .string()
    .transform((h) => normalizeHost(h) ?? '')
    .refine((h) => h !== '', 'a DNS host name such as "store.example.com"')
    .optional(),
  FIRST_ADMIN_EMAIL: z.email('an email address such as "admin@example.com"').optional(),
}

type Vars = { [K in keyof typeof FirstTenantEnv]?: z.output<(typeof FirstTenantEnv)[K]> }

export type FirstTenant = { slug: string; name: string; hosts: string[]; adminEmail: string }

/** The first tenant the variables name, if any; a half-given one is a problem, not a guess. */
export function firstTenantOf(vars: Vars, problems: string[]): FirstTenant | undefined {
  const { FIRST_TENANT_SLUG: slug, FIRST_ADMIN_EMAIL: adminEmail } = vars
  if (!slug && !adminEmail) {
    if (vars.FIRST_TENANT_HOST || vars.FIRST_TENANT_NAME)
      problems.push('FIRST_TENANT_SLUG: required with FIRST_TENANT_HOST or FIRST_TENANT_NAME')
    return undefined
  }
  if (!slug) problems.push('FIRST_TENANT_SLUG: required with FIRST_ADMIN_EMAIL')
  if (!adminEmail) problems.push('FIRST_ADMIN_EMAIL: required with FIRST_TENANT_SLUG')
  if (!slug || !adminEmail) return undefined
  return {
    slug,
    name: vars.FIRST_TENANT_NAME ?? slug,
    hosts: vars.FIRST_TENANT_HOST ? [vars.FIRST_TENANT_HOST] : [],
    adminEmail,
  }
}
