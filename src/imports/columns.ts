// The import's columns (issue 12, the helpers' contract): import, export and the template use
// the same names in this order. Matching is case-insensitive and ignores surrounding spaces.

/** The person's fields, in the file's order; `user-group N` and the app columns follow. */
export const PERSON_COLUMNS = [
  'email',
  'firstName',
  'lastName',
  'phone',
  'jobTitle',
  'externalId',
  'locale',
  'role',
  'organization',
  'kind',
] as const
export type PersonColumn = (typeof PERSON_COLUMNS)[number]
/** Columns only an import reads: the export never writes them. */
export const IMPORT_ONLY_COLUMNS = ['passwordHash', 'delete'] as const
export const TEMPLATE_GROUP_COLUMNS = 3
export const groupColumn = (n: number) => `user-group ${n}`

const GROUP = /^user-group\s*\d+$/
const key = (header: string) => header.trim().toLowerCase()
const KNOWN = new Map<string, string>(
  [...PERSON_COLUMNS, ...IMPORT_ONLY_COLUMNS].map((c) => [c.toLowerCase(), c]),
)

export type AppColumn = { name: string; product: string }

/**
 * What each header cell names: a field, `group`, `app:<app name>`, or null (unknown: its cells
 * are ignored and the column is reported).
 */
export function readHeader(header: string[], apps: AppColumn[]) {
  const appByKey = new Map(apps.map((a) => [key(a.name), a]))
  const columns = header.map((cell): string | null => {
    const k = key(cell)
    if (KNOWN.has(k)) return KNOWN.get(k)!
    if (GROUP.test(k)) return 'group'
    const app = appByKey.get(k)
    return app ? `app:${app.name}` : null
  })
  const warnings: string[] = []
  const unknown = header.filter((_, i) => columns[i] === null && header[i]!.trim() !== '')
  if (unknown.length)
    warnings.push(
      `Unknown column${unknown.length > 1 ? 's' : ''} ignored: ${unknown.map((u) => `"${u.trim()}"`).join(', ')}.`,
    )
  const seen = new Set<string>()
  const repeated = columns.filter((c) => c && c !== 'group' && (seen.has(c) || !seen.add(c)))
  return { columns, warnings, unknown, repeated: [...new Set(repeated as string[])] }
}

/** The header of the tenant's template: its real app columns, three group columns. */
export function templateHeader(apps: AppColumn[]): string[] {
  return [
    ...PERSON_COLUMNS,
    ...Array.from({ length: TEMPLATE_GROUP_COLUMNS }, (_, i) => groupColumn(i + 1)),
    ...apps.map((a) => a.name),
    ...IMPORT_ONLY_COLUMNS,
  ]
}

const GRANTS = new Set(['true', 'yes', '1', 'x'])
const DENIES = new Set(['false', 'no', '0', ''])
/** An app cell: true grants, false does not, anything else is the row's mistake. */
export function readFlag(cell: string): boolean | undefined {
  const k = cell.trim().toLowerCase()
  return GRANTS.has(k) ? true : DENIES.has(k) ? false : undefined
}
