// Where every enterprise sign-in starts (sso/sso.routes.ts): the login page's home-realm
// discovery, a host bound to a directory, and the link of an invitation into a directory.

/**
 * Set on an interaction's way back (`/interaction/:uid?fresh=1`) when the app asked for a fresh
 * sign-in (OIDC Core 3.1.2.1 prompt=login, max_age): the sign-in that starts on the way passes
 * the demand on to the company's IdP (SAML ForceAuthn, OIDC prompt=login). Anyone may set it: it
 * only ever asks for more.
 */
export const FRESH_SIGN_IN = 'fresh'

/** Whether the sign-in returning to `returnTo` (a safe local path) must be a fresh one. */
export const freshSignInAsked = (returnTo: string): boolean =>
  new URL(returnTo, 'http://gateway.invalid').searchParams.get(FRESH_SIGN_IN) === '1'

/** GET /sso/:id/start, carrying where to go afterwards and the invitation it is for. */
export function ssoStartPath(
  directoryId: string,
  input: { returnTo?: string; invitationId?: string } = {},
): string {
  const query = new URLSearchParams()
  if (input.returnTo && input.returnTo !== '/') query.set('return_to', input.returnTo)
  if (input.invitationId) query.set('invitation', input.invitationId)
  const search = query.toString()
  return `/sso/${encodeURIComponent(directoryId)}/start${search ? `?${search}` : ''}`
}
