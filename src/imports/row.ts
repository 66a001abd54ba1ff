import * as z from 'zod'
import { MEMBERSHIP_KINDS } from '../db/schema.js'
import { EMAIL_PROBLEMS, normalizeEmail } from '../identity/addresses.js'
import { RoleName } from '../identity/roles.js'
import { Locale } from '../lib/locales.js'
import { readFlag } from './columns.js'
import { checkImportedHash } from '../identity/imported-hashes.js'

// One staged row, checked on its own: its fields (zod, the invitation's limits), its address
// (the invitations' normalisation) and its password hash. The catalogue check is in grant.ts.

const Text = (max: number) => z.string().trim().max(max).optional()
const RowFields = z.object({
  firstName: Text(100),
  lastName: Text(100),
  phone: Text(40),
  jobTitle: Text(100),
  externalId: Text(100),
  locale: Locale.optional(),
  role: RoleName.optional(),
  organization: Text(200),
  kind: z.enum(MEMBERSHIP_KINDS).optional(),
})

/** A row's cells by canonical column: strings, the group cells, the app cells by app name. */
export type StagedData = Record<string, string> & {
  groups?: string[]
  apps?: Record<string, string>
}

export type ImportRow = {
  email: string
  key: string
  isDelete: boolean
  profile: {
    first_name?: string
    last_name?: string
    phone?: string
    job_title?: string
    external_id?: string
    locale?: string
  }
  role?: string
  organization?: string
  kind?: 'member' | 'guest'
  /** Present when the file has group columns: the member's groups become exactly these. */
  groups?: string[]
  /** App names granted, and those the file's app columns leave without the grant. */
  appsGranted: string[]
  appsDenied: string[]
  passwordHash?: string
}

export type RowCheck = { ok: true; row: ImportRow } | { ok: false; reason: string }

const blankToUndefined = (v: string | undefined) =>
  v === undefined || v.trim() === '' ? undefined : v

export function readRow(data: StagedData, hasGroupColumns: boolean): RowCheck {
  const email = normalizeEmail(data.email ?? '')
  if (!email.ok) return { ok: false, reason: EMAIL_PROBLEMS[email.reason] }

  const del = readFlag(data.delete ?? '')
  if (del === undefined) return { ok: false, reason: 'delete must be true or false.' }

  const raw = Object.fromEntries(
    Object.keys(RowFields.shape).map((k) => [k, blankToUndefined(data[k])]),
  )
  if (raw.locale) raw.locale = raw.locale.trim().toLowerCase()
  if (raw.kind) raw.kind = raw.kind.trim().toLowerCase()
  const fields = RowFields.safeParse(raw)
  if (!fields.success) {
    const issue = fields.error.issues[0]!
    return { ok: false, reason: `${String(issue.path[0] ?? 'row')}: ${issue.message}` }
  }
  const f = fields.data

  const appsGranted: string[] = []
  const appsDenied: string[] = []
  for (const [app, cell] of Object.entries(data.apps ?? {})) {
    const flag = readFlag(cell)
    if (flag === undefined)
      return { ok: false, reason: `${app}: write true or false (got "${cell.trim()}").` }
    ;(flag ? appsGranted : appsDenied).push(app)
  }

  let passwordHash: string | undefined
  if (blankToUndefined(data.passwordHash)) {
    const checked = checkImportedHash(data.passwordHash!)
    if (!checked.ok) return { ok: false, reason: checked.reason }
    passwordHash = checked.hash
  }

  const profile: ImportRow['profile'] = {}
  if (f.firstName) profile.first_name = f.firstName
  if (f.lastName) profile.last_name = f.lastName
  if (f.phone) profile.phone = f.phone
  if (f.jobTitle) profile.job_title = f.jobTitle
  if (f.externalId) profile.external_id = f.externalId
  if (f.locale) profile.locale = f.locale
  return {
    ok: true,
    row: {
      email: email.email,
      key: email.key,
      isDelete: del,
      profile,
      ...(f.role && { role: f.role }),
      ...(f.organization && { organization: f.organization }),
      ...(f.kind && { kind: f.kind }),
      ...(hasGroupColumns && {
        groups: (data.groups ?? []).map((g) => g.trim()).filter(Boolean),
      }),
      appsGranted,
      appsDenied,
      ...(passwordHash && { passwordHash }),
    },
  }
}
