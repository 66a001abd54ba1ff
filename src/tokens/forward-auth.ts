import type { VerifiedAccessToken } from './provider/access-tokens.js'

/** Who is calling: a person (a session cookie, a token issued at a sign-in) or a machine app. */
export type CallerKind = 'person' | 'machine'
export const CALLER_KINDS: readonly CallerKind[] = ['person', 'machine']

export type ForwardAuthOutcome =
  | { kind: 'allow'; headers: Record<string, string> }
  /** No live credential: 401, the proxy sends the person to sign in. */
  | { kind: 'unauthenticated' }
  /** A live credential of the other kind than the location asks for: 403. */
  | { kind: 'forbidden'; seen: CallerKind }

/**
 * Forward auth (nginx auth_request, Traefik ForwardAuth): what the proxy learns about a caller.
 * A client-credentials token is no person: a location for people (`only: 'person'`) refuses it,
 * and every answer says which kind it saw (X-Auth-Kind), so the app behind can tell them apart.
 */
export function forwardAuth(input: {
  session: { user_id: string; email: string; role: string } | undefined
  token: VerifiedAccessToken | undefined
  only: CallerKind | undefined
}): ForwardAuthOutcome {
  const { session, token, only } = input
  let seen: CallerKind
  let headers: Record<string, string>
  if (session) {
    seen = 'person'
    headers = { 'X-Auth-Subject': session.user_id, 'X-Auth-Email': session.email }
    headers['X-Auth-Roles'] = session.role
  } else if (token) {
    const live = token.token
    seen = token.account ? 'person' : 'machine'
    headers = { 'X-Auth-Subject': String(live.sub) }
    if (live.email) headers['X-Auth-Email'] = live.email
    if (live.roles) headers['X-Auth-Roles'] = live.roles.join(',')
  } else return { kind: 'unauthenticated' }
  if (only && only !== seen) return { kind: 'forbidden', seen }
  return { kind: 'allow', headers: { ...headers, 'X-Auth-Kind': seen } }
}
