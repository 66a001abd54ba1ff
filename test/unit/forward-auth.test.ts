import { describe, expect, it } from 'vitest'
import { forwardAuth } from '../../src/tokens/forward-auth.js'
import { decideAbort } from '../../src/tokens/interaction.js'

const session = { user_id: 'u1', email: 'ada@example.com', role: 'member' }
const personToken = {
  token: { sub: 'u1', client_id: 'app_1', email: 'ada@example.com', roles: ['member'] },
  account: { sub: 'u1' } as never,
}
const machineToken = { token: { sub: 'app_2', client_id: 'app_2' } }

// OWASP ASVS 5.0 V8: an area for people refuses an app's own (client-credentials) token.
describe('forwardAuth', () => {
  it('names the kind it saw and passes the caller on', () => {
    expect(forwardAuth({ session, token: undefined, only: undefined })).toEqual({
      kind: 'allow',
      headers: {
        'X-Auth-Subject': 'u1',
        'X-Auth-Email': 'ada@example.com',
        'X-Auth-Roles': 'member',
        'X-Auth-Kind': 'person',
      },
    })
    expect(forwardAuth({ session: undefined, token: machineToken, only: undefined })).toEqual({
      kind: 'allow',
      headers: { 'X-Auth-Subject': 'app_2', 'X-Auth-Kind': 'machine' },
    })
  })

  it('refuses the other kind when the location asks for one', () => {
    expect(forwardAuth({ session: undefined, token: machineToken, only: 'person' })).toEqual({
      kind: 'forbidden',
      seen: 'machine',
    })
    expect(forwardAuth({ session: undefined, token: personToken, only: 'machine' })).toEqual({
      kind: 'forbidden',
      seen: 'person',
    })
    expect(forwardAuth({ session: undefined, token: personToken, only: 'person' }).kind).toBe(
      'allow',
    )
  })

  it('is unauthenticated without a live credential', () => {
    expect(forwardAuth({ session: undefined, token: undefined, only: 'person' })).toEqual({
      kind: 'unauthenticated',
    })
  })
})

describe('decideAbort', () => {
  it("ends only the browser's own open sign-in", () => {
    expect(decideAbort({ signIn: { uid: 'a' }, uid: 'b', reason: 'cancelled' })).toEqual({
      kind: 'gone',
    })
    expect(decideAbort({ signIn: { uid: 'a' }, uid: 'a', reason: 'disabled' })).toMatchObject({
      kind: 'deny',
      description: expect.stringContaining('disabled'),
    })
  })
})
