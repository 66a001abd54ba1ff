import type { Session } from '../identity/sessions.js'

export const ADMIN_ROLE = 'admin'

/**
 * A tenant's admin: a member (never a guest) whose role is "admin", signed in with every step
 * the session owes done (a password change or Terms the store asks for come first).
 */
export const isAdminSession = (session: Session | undefined): session is Session =>
  session !== undefined &&
  session.pending === null &&
  session.kind === 'member' &&
  session.role === ADMIN_ROLE
