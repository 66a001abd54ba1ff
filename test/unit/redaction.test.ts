import { describe, expect, it } from 'vitest'
import { describeDatabaseError, isDatabaseUnavailable } from '../../src/db/errors.js'
import { redactPath } from '../../src/http/request-context.js'

describe('redactPath', () => {
  it.each([
    ['/invite/abc123secret', '/invite/[redacted]'],
    ['/reset-password/abc123secret', '/reset-password/[redacted]'],
    ['/invite/abc123secret/', '/invite/[redacted]/'],
    ['/invite/abc123secret/accept', '/invite/[redacted]/accept'],
    ['/reset-password/a.b-c_d~e', '/reset-password/[redacted]'],
    ['/INVITE/abc123secret', '/INVITE/[redacted]'], // Express routes ignore case
  ])('hides the token in %s', (path, redacted) => {
    expect(redactPath(path)).toBe(redacted)
    expect(redactPath(path)).not.toContain('secret')
  })

  it.each([
    '/',
    '/login',
    '/invite',
    '/invite/',
    '/invitations/42',
    '/api/invite/abc',
    '/console/reset-password/abc',
    '/reset-passwords/abc',
  ])('leaves %s unchanged', (path) => {
    expect(redactPath(path)).toBe(path)
  })
})

const withCode = (code: string, message = 'failed') => Object.assign(new Error(message), { code })

describe('isDatabaseUnavailable', () => {
  it.each([
    ['a refused connection', withCode('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432')],
    ['a reset connection', withCode('ECONNRESET')],
    ['an unknown host', withCode('ENOTFOUND')],
    ['connection failure (08006)', withCode('08006')],
    ['a connection exception class (08001)', withCode('08001')],
    ['admin shutdown (57P01)', withCode('57P01')],
    ['the server starting up (57P03)', withCode('57P03')],
    ['an AggregateError wrapping ECONNREFUSED', new AggregateError([withCode('ECONNREFUSED')])],
    [
      'an AggregateError wrapping a refusal among other errors',
      new AggregateError([new Error('other'), withCode('ECONNREFUSED')]),
    ],
    ['a terminated connection', new Error('Connection terminated unexpectedly')],
    ['a connection timeout', new Error('timeout exceeded when trying to connect')],
  ])('is true for %s', (_, error) => {
    expect(isDatabaseUnavailable(error)).toBe(true)
  })

  it.each([
    ['a syntax error (42601)', withCode('42601', 'syntax error at or near "selec"')],
    ['a unique violation (23505)', withCode('23505', 'duplicate key value')],
    ['a plain error', new Error('boom')],
    [
      'an AggregateError of unrelated errors',
      new AggregateError([new Error('a'), withCode('42601')]),
    ],
    ['a string', 'ECONNREFUSED'],
    ['an object that only looks like an error', { code: 'ECONNREFUSED', message: 'x' }],
    ['undefined', undefined],
  ])('is false for %s', (_, error) => {
    expect(isDatabaseUnavailable(error)).toBe(false)
  })
})

describe('describeDatabaseError', () => {
  it('prefixes the code when the message does not carry it', () => {
    const shutdown = withCode('57P01', 'terminating connection')
    expect(describeDatabaseError(shutdown)).toBe('57P01 terminating connection')
    const refused = withCode('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432')
    expect(describeDatabaseError(refused)).toBe('connect ECONNREFUSED 127.0.0.1:5432')
  })

  it('describes an AggregateError with an empty message by its errors', () => {
    const error = new AggregateError([
      withCode('ECONNREFUSED', 'connect ECONNREFUSED ::1:5432'),
      withCode('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432'),
    ])
    expect(describeDatabaseError(error)).toBe(
      'connect ECONNREFUSED ::1:5432; connect ECONNREFUSED 127.0.0.1:5432',
    )
  })
})
