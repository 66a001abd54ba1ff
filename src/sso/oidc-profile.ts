import type { OidcConfig } from './connection.js'
import type { IdpProfile } from './provisioning.js'

// What a verified ID token (and userinfo) say about the person, as the gateway keeps it. No
// protocol here: oidc.ts has checked signature, issuer, audience, nonce and times already.

type Claims = Record<string, unknown>
type Mapping = OidcConfig['claimMapping']

/** One asymmetric JWS algorithm: an ID token is only ever checked against a public key. */
const ASYMMETRIC = /^(?:RS|PS|ES)(?:256|384|512)$|^(?:EdDSA|Ed25519)$/

/**
 * The one algorithm ID tokens of this connection must use (RFC 8725 3.1): RS256 when the IdP
 * offers it (every OpenID Provider must), else the first asymmetric one it lists. Never `none`
 * or HS*: an HMAC "signature" keyed with something the IdP publishes proves nothing.
 */
export function pinnedAlgorithm(offered: unknown): string | undefined {
  const algs = Array.isArray(offered)
    ? offered.filter((a): a is string => typeof a === 'string' && ASYMMETRIC.test(a))
    : []
  return algs.includes('RS256') ? 'RS256' : algs[0]
}

/** Whether a mapped claim is absent from the ID token, so userinfo must be asked. */
export const lacksMappedClaims = (claims: Claims, mapping: Mapping) =>
  Object.values(mapping).some((claim) => claims[claim] === undefined)

const text = (value: unknown) =>
  typeof value === 'string' && value.trim() ? value.trim().slice(0, 256) : undefined

function groupsOf(value: unknown): string[] {
  const list = typeof value === 'string' ? [value] : Array.isArray(value) ? value : []
  return list.filter((g): g is string => typeof g === 'string' && g.length > 0).slice(0, 500)
}

export type ProfileResult = { ok: true; profile: IdpProfile } | { ok: false; reason: string }

/**
 * The profile from the ID token's claims, completed by userinfo (the ID token wins where both
 * speak). `subject` is `sub`, or for an Entra multi-tenant app `tid:sub`: there the issuer is
 * one per Entra tenant (`…/{tid}/v2.0`), and OIDC Core 5.7 makes only (issuer, sub) unique, so
 * the Entra tenant is part of the key; `sub` rather than `oid` because it is the subject OIDC
 * promises never to reassign, and it needs no `profile` scope.
 */
export function oidcProfile(input: {
  idToken: Claims
  userinfo: Claims | undefined
  mapping: Mapping
  entraTenant: string | undefined
}): ProfileResult {
  const { idToken, mapping, entraTenant } = input
  const claims = { ...input.userinfo, ...idToken }
  const sub = text(idToken.sub)
  if (!sub) return { ok: false, reason: 'missing_subject' }
  const email = text(claims[mapping.email])
  if (!email) return { ok: false, reason: 'missing_email' }
  // An address the IdP says it has not verified could be anyone's: an invitation is accepted by
  // a verified email only. Absent (Entra sends none) is the IdP vouching for its directory.
  const verified = claims.email_verified
  if (verified === false || verified === 'false') return { ok: false, reason: 'email_unverified' }
  const amr = Array.isArray(idToken.amr)
    ? idToken.amr.filter((v): v is string => typeof v === 'string').slice(0, 10)
    : []
  return {
    ok: true,
    profile: {
      subject: entraTenant ? `${entraTenant}:${sub}` : sub,
      email,
      firstName: text(claims[mapping.firstName]),
      lastName: text(claims[mapping.lastName]),
      groups: groupsOf(claims[mapping.groups]),
      // The IdP's own RFC 8176 values when it tells them; otherwise `ext`: signed in at an
      // external identity provider by a method it did not say (so `pwd` is never claimed).
      amr: amr.length ? amr : ['ext'],
    },
  }
}
