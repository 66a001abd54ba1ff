// The one definition of an address the gateway sends mail to. The invitation parser
// (identity/addresses.ts) accepts nothing this refuses, and the outbox and the mailer refuse
// nothing the parser accepted: an invitee is refused with a reason, never half-way through a
// batch. Only plain ASCII dot-atoms (RFC 5321 4.1.2): no quoted local parts, comments, groups,
// IP literals or whitespace, so what we validated is exactly what reaches RCPT TO; and no UTF-8
// local parts, which need SMTPUTF8 (RFC 6531) from every relay on the way. A one-label domain
// passes: MAIL_FROM defaults to no-reply@BASE_DOMAIN, which is "localhost" on a developer machine.
const ATOM = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?'
const ADDRESS = new RegExp(`^${ATOM}(?:\\.${ATOM})*@${LABEL}(?:\\.${LABEL})*$`)

export function isMailAddress(address: string): boolean {
  const at = address.lastIndexOf('@')
  return address.length <= 254 && at > 0 && at <= 64 && ADDRESS.test(address)
}
