import { describe, expect, it } from 'vitest'
import * as z from 'zod'
import { AppError } from '../../src/errors.js'
import { fieldErrors, parse } from '../../src/lib/validate.js'

const Invite = z.strictObject({
  invitees: z.array(z.strictObject({ email: z.email(), name: z.string().min(1) })).min(1),
  locale: z.enum(['en', 'fr']),
})

/** The AppError `parse` throws for `input`, or a failed expectation if it does not throw one. */
function parseError(input: unknown, message?: string): AppError {
  try {
    parse(Invite, input, message)
  } catch (error) {
    expect(error).toBeInstanceOf(AppError)
    return error as AppError
  }
  throw new Error('expected parse to throw an AppError')
}

describe('parse', () => {
  it('returns the parsed value', () => {
    const input = { invitees: [{ email: 'ada@example.test', name: 'Ada' }], locale: 'en' }
    expect(parse(Invite, input)).toEqual(input)
  })

  it('throws invalid_request with every bad field keyed by dotted path', () => {
    const error = parseError({
      invitees: [
        { email: 'ada@example.test', name: 'Ada' },
        { email: 'not-an-email', name: '' },
      ],
      locale: 'xx',
    })
    expect(error.code).toBe('invalid_request')
    expect(error.message).toBe('Some fields are missing or invalid.')
    expect(error.details).toEqual({
      fields: {
        'invitees.1.email': [expect.any(String)],
        'invitees.1.name': [expect.any(String)],
        locale: [expect.any(String)],
      },
      form: [],
    })
  })

  it('uses the given message', () => {
    expect(parseError({}, 'Check the invitation.').message).toBe('Check the invitation.')
  })

  it('puts problems with the whole input under form', () => {
    const error = parseError('not an object')
    expect(error.details).toEqual({ fields: {}, form: [expect.any(String)] })
  })

  it('names an unknown key of a strict object', () => {
    const error = parseError({
      invitees: [{ email: 'ada@example.test', name: 'Ada' }],
      locale: 'en',
      admin: true,
    })
    expect(error.details).toEqual({ fields: {}, form: [expect.stringContaining('admin')] })
  })
})

describe('fieldErrors', () => {
  it('gathers several messages for one field', () => {
    const Password = z.object({ password: z.string().min(10).regex(/\d/, 'needs a digit') })
    const result = Password.safeParse({ password: 'short' })
    expect(result.success).toBe(false)
    if (result.success) return
    expect(fieldErrors(result.error)).toEqual({
      fields: { password: [expect.any(String), 'needs a digit'] },
      form: [],
    })
  })
})
