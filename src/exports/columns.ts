// The columns of the people CSV, in order (issue 12's contract between import, export and the
// template): the person, user-group 1..N, then one column per app of the tenant (its name).
// The export writes these without passwordHash and delete (import only); invitations add theirs.

export const EXPORT_COLUMNS = Object.freeze({
  person: [
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
  ],
  /** `user-group 1` .. `user-group N`: N is the most groups one exported person has, at least 3. */
  group: (n: number) => `user-group ${n}`,
  minGroups: 3,
  invitation: ['status', 'invitedAt', 'expiresAt'],
} as const)
