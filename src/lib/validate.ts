import * as z from 'zod'
import { AppError } from '../errors.js'

/** Parses untrusted input; failure is an `invalid_request` whose details name every bad field. */
export function parse<S extends z.ZodType>(
  schema: S,
  input: unknown,
  message = 'Some fields are missing or invalid.',
): z.output<S> {
  const result = schema.safeParse(input)
  if (!result.success)
    throw new AppError('invalid_request', message, { details: fieldErrors(result.error) })
  return result.data
}

/** `{ fields: { "invitees.0.email": ["..."] }, form: ["..."] }`: stable, readable, no internals. */
export function fieldErrors(error: z.ZodError) {
  const fields: Record<string, string[]> = {}
  const form: string[] = []
  for (const issue of error.issues) {
    if (issue.path.length === 0) form.push(issue.message)
    else (fields[issue.path.join('.')] ??= []).push(issue.message)
  }
  return { fields, form }
}
