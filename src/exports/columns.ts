import { groupColumn, PERSON_COLUMNS, TEMPLATE_GROUP_COLUMNS } from '../imports/columns.js'

// The columns of the people CSV, in order (issue 12's contract between import, export and the
// template): the person, user-group 1..N, then one column per app of the tenant (its name).
// One list, the import's (src/imports/columns.ts): the export writes it without passwordHash and
// delete (import only); invitations add theirs.

export const EXPORT_COLUMNS = Object.freeze({
  person: PERSON_COLUMNS,
  /** `user-group 1` .. `user-group N`: N is the most groups one exported person has, at least 3. */
  group: groupColumn,
  minGroups: TEMPLATE_GROUP_COLUMNS,
  invitation: ['status', 'invitedAt', 'expiresAt'],
} as const)
