import * as z from 'zod'
import { hashToken, newToken, safeEqual } from '../lib/tokens.js'
import type { Tenant } from '../tenants/tenants.js'
import type { SamlDirectory, SsoContext, SsoStart } from './connection.js'
import type { IdpProfile } from './provisioning.js'
import { consumeSsoRequest, recordAssertionWithTicket, redeemSsoRequest } from './requests.store.js'
import { SamlRefusal } from './saml-xml.js'

// Login CSRF (OWASP ASVS 5.0 V10; what RFC 9700 §4.7 says of OAuth holds for SAML): an attacker
// starts a sign-in, gets the IdP's signed response for their own account and has a victim's
// browser post it to our ACS; signed in there, the victim would be the attacker. The sign-in is
// bound to the browser that started it, as OIDC's is (http/sso-browser.ts: the value's hash is
// kept with the AuthnRequest). The ACS is a cross-site POST, which carries no SameSite=Lax
// cookie: it checks the response, keeps the outcome under a fresh single-use ticket and sends the
// browser to a same-site GET, where the cookie is sent, the binding compared, and only then the
// person signed in.

const TICKET_TTL_MS = 2 * 60_000 // the 303 is followed at once; a little room for a slow machine

/** SHA-256 (base64url) of a secret, as sso_requests keeps it (the OIDC state's hash likewise). */
export const digestOf = (secret: string) => Buffer.from(hashToken(secret)).toString('base64url')

/** What the gateway keeps of an AuthnRequest, under its ID (the InResponseTo to expect). */
export const RequestData = z.object({
  returnTo: z.string(),
  invitationId: z.string().optional(),
  acsUrl: z.string(),
  host: z.string(),
  /** SHA-256 of the browser's binding value (http/sso-browser.ts; compared at continue). */
  browser: z.string(),
})

// IdpProfile as stored for a moment (zod drops a key it does not name: add new fields here).
const Profile = z.object({
  subject: z.string(),
  email: z.string(),
  emailVerified: z.boolean().optional(),
  firstName: z.string().optional(),
  lastName: z.string().optional(),
  groups: z.array(z.string()),
  amr: z.array(z.string()),
}) satisfies z.ZodType<IdpProfile>

/**
 * The verified outcome of one ACS POST, kept under the SHA-256 of its ticket: for an
 * SP-initiated sign-in, the AuthnRequest's own row with `kind` and `profile` merged in.
 */
const TicketData = z.object({
  kind: z.literal('saml_ticket'),
  profile: Profile,
  returnTo: z.string(),
  invitationId: z.string().optional(),
  /** The AuthnRequest's browser binding hash; null for an IdP-initiated sign-in (none exists). */
  browser: z.string().nullable(),
})

type Scope = { tenant: Tenant; directory: SamlDirectory }
/** The verified assertion's ID, kept until its NotOnOrAfter to refuse a replay. */
type Assertion = { id: string; keepUntil: Date }

const newTicket = (profile: IdpProfile, now: Date) => {
  const ticket = newToken()
  const data = { kind: 'saml_ticket', profile } satisfies Partial<z.input<typeof TicketData>>
  const row = { id: digestOf(ticket), data, expiresAt: new Date(now.getTime() + TICKET_TTL_MS) }
  return { ticket, row }
}

/**
 * An SP-initiated sign-in's ticket: its AuthnRequest spent (single use, any process), the
 * assertion recorded (single use), and the ticket kept for the continue step, in one statement.
 * The ticket is the only handle on the outcome; a refusal leaves none.
 */
export async function ticketForRequest(
  ctx: SsoContext,
  input: Scope & { requestId: string; acsUrl: string; assertion: Assertion; profile: IdpProfile },
  now: Date,
): Promise<string> {
  const { tenant, directory, requestId, acsUrl, assertion } = input
  const { ticket, row } = newTicket(input.profile, now)
  const outcome = await redeemSsoRequest(
    ctx.db,
    { requestId, tenantId: tenant.id, acsUrl, now },
    { directoryId: directory.id, assertionId: assertion.id, expiresAt: assertion.keepUntil },
    row,
  )
  const request = RequestData.safeParse(outcome.request)
  if (!request.success) throw new SamlRefusal('unknown_request', requestId)
  // Started on another of the tenant's hosts than the one this response was made for.
  if (request.data.acsUrl !== acsUrl) throw new SamlRefusal('wrong_host', request.data.host)
  if (!outcome.fresh) throw new SamlRefusal('replay', assertion.id)
  // A concurrent ACS POST for the same request (another assertion) spent it first.
  if (!outcome.issued) throw new SamlRefusal('unknown_request', requestId)
  return ticket
}

/**
 * An IdP-initiated sign-in's ticket (only where the directory allows them): nothing was started
 * here, so no request and no browser; the assertion's single use is all there is.
 */
export async function ticketForIdpInitiated(
  ctx: SsoContext,
  input: Scope & { assertion: Assertion; profile: IdpProfile; returnTo: string },
  now: Date,
): Promise<string> {
  const { tenant, directory, assertion } = input
  const { ticket, row } = newTicket(input.profile, now)
  const data: z.input<typeof TicketData> = {
    ...row.data,
    returnTo: input.returnTo,
    browser: null,
  }
  const fresh = await recordAssertionWithTicket(
    ctx.db,
    { tenantId: tenant.id },
    { directoryId: directory.id, assertionId: assertion.id, expiresAt: assertion.keepUntil },
    { ...row, data },
  )
  if (!fresh) throw new SamlRefusal('replay', assertion.id)
  return ticket
}

export type SamlContinue =
  | { ok: true; profile: IdpProfile; start: SsoStart }
  | { ok: false; refusal: { reason: string; detail?: string } }

/**
 * The continue step: the ticket consumed (of two concurrent uses one gets it), then the browser
 * that brought it compared with the one that started the sign-in.
 */
export async function continueSamlSignIn(
  ctx: SsoContext,
  input: Scope & { ticket: string; browser: string | undefined },
  now = new Date(),
): Promise<SamlContinue> {
  const row = await consumeSsoRequest(
    ctx.db,
    { id: digestOf(input.ticket), tenantId: input.tenant.id, directoryId: input.directory.id },
    now,
  )
  const stored = TicketData.safeParse(row)
  // Unknown, expired, used, or another directory's: all the same.
  if (!stored.success) return { ok: false, refusal: { reason: 'unknown_ticket' } }
  const { profile, returnTo, invitationId, browser } = stored.data
  // completeSsoSignIn keeps returnTo to a local path (http/return-to.ts).
  const start = { returnTo, ...(invitationId && { invitationId }) }
  // IdP-initiated sign-ins (only where the directory allows them) have no browser to compare:
  // nothing was started here, so anyone holding such a response can sign a browser in with it.
  // That is inherent to IdP-initiated SAML, and why allowIdpInitiated is off by default.
  if (browser !== null && !(input.browser && safeEqual(digestOf(input.browser), browser)))
    return {
      ok: false,
      refusal: {
        reason: 'browser_mismatch',
        detail: 'the response came back to a browser that did not start this sign-in',
      },
    }
  return { ok: true, profile, start }
}
