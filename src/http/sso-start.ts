// Where every enterprise sign-in starts (sso/sso.routes.ts): the login page's home-realm
// discovery, a host bound to a directory, and the link of an invitation into a directory.

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
