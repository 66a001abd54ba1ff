import {
  PROFILE_FIELDS,
  type ProfileField,
  type ProfileFieldsSetting,
} from '../tenants/settings.js'

// Seed 004: "a sign up page where they can provide additional information for their account
// and set their password". The tenant lists the fields; the invitation prefills them.
export type { ProfileField, ProfileFieldsSetting }

export type Profile = Partial<Record<ProfileField, string>>
export type ProfileProblem = 'required' | 'too_long' | 'phone_invalid'

const MAX: Record<ProfileField, number> = {
  firstName: 100,
  lastName: 100,
  phone: 40,
  jobTitle: 100,
}
// Digits with the punctuation people write numbers with; at least 6 digits (E.164 allows 15).
const PHONE = /^\+?[0-9 ().\/-]{6,40}$/
const COLUMN = {
  firstName: 'first_name',
  lastName: 'last_name',
  phone: 'phone',
  jobTitle: 'job_title',
} as const

/** The values the invitation already knows, to prefill the form. */
export function profileOf(person: {
  first_name: string | null
  last_name: string | null
  phone: string | null
  job_title: string | null
}): Profile {
  return Object.fromEntries(
    PROFILE_FIELDS.map((f) => [f, person[COLUMN[f]] ?? undefined]).filter(([, v]) => v),
  )
}

/** Reads the form's fields the tenant asks for; problems are values, one per field. */
export function readProfile(
  setting: ProfileFieldsSetting,
  body: Record<string, unknown>,
): { profile: Profile; problems: Partial<Record<ProfileField, ProfileProblem>> } {
  const profile: Profile = {}
  const problems: Partial<Record<ProfileField, ProfileProblem>> = {}
  for (const { field, required } of setting) {
    const raw = body[field]
    const value = typeof raw === 'string' ? raw.trim() : ''
    if (value === '') {
      if (required) problems[field] = 'required'
      continue
    }
    if (value.length > MAX[field]) problems[field] = 'too_long'
    else if (field === 'phone' && (!PHONE.test(value) || value.replace(/\D/g, '').length < 6))
      problems[field] = 'phone_invalid'
    profile[field] = value
  }
  return { profile, problems }
}

/** The users columns a profile sets (only the fields it holds). */
export const profileColumns = (profile: Profile) =>
  Object.fromEntries(Object.entries(profile).map(([f, v]) => [COLUMN[f as ProfileField], v]))

export const maxLengthOf = (field: ProfileField) => MAX[field]
