import { describe, expect, it } from 'vitest'
import { useGateway } from '../support/harness.js'
import { createIdp, encode, MALLORY, spCertificatesOf } from '../support/saml-idp.js'
import { samlHelpers } from '../support/saml-sign-in.js'

// Issue 10, "Bad input and attacks", SAML: each attack as a real IdP (or an attacker holding a
// real IdP's response) would send it, through the ACS. Each ends in a clean page in the store's
// language, a logged sso_refused event naming the reason, no user and no session.
const gw = useGateway()
const idp = createIdp()
const { samlStore, started, startSignIn, continued, counts, expectRefused } = samlHelpers(gw, idp)

/** An assertion the IdP signed for `reply`, on its own (to be wrapped by an attacker). */
function signedAssertion(reply: Parameters<typeof idp.assertion>[0], id = `_a${Date.now()}`) {
  return idp.sign(idp.assertion({ ...reply, id }), id)
}
const evil = (reply: Parameters<typeof idp.assertion>[0]) =>
  idp.assertion({ ...reply, id: '_evil', ...MALLORY })

describe('SAML ACS: what is refused', () => {
  it('an unsigned assertion (SAML core 2.0 §5.2)', async () => {
    const { s, reply, post } = await started()
    const res = await post(idp.response({ ...reply, signAssertion: false }))
    await expectRefused(s, res, 'bad_signature')
  })

  it('a signed Response around an unsigned Assertion (SAML core 2.0 §5.2: the assertion itself is signed)', async () => {
    const { s, reply, post } = await started()
    const res = await post(idp.response({ ...reply, signAssertion: false, signResponse: true }))
    await expectRefused(s, res, 'bad_signature')
  })

  describe('signature wrapping (XSW, SAML core 2.0 §5.4.2)', () => {
    it('a second, unsigned assertion before the signed one', async () => {
      const { s, reply, post } = await started()
      const xml = idp.responseXml(reply).replace('</samlp:Status>', `</samlp:Status>${evil(reply)}`)
      await expectRefused(s, await post(encode(xml)), 'bad_signature')
    })

    it('a second, unsigned assertion after the signed one', async () => {
      const { s, reply, post } = await started()
      const xml = idp
        .responseXml(reply)
        .replace('</samlp:Response>', `${evil(reply)}</samlp:Response>`)
      await expectRefused(s, await post(encode(xml)), 'bad_signature')
    })

    it('a second, unsigned assertion inside the signed one', async () => {
      const { s, reply, post } = await started()
      const xml = idp
        .responseXml(reply)
        .replace(/<\/saml:Assertion><\/samlp:Response>$/, `${evil(reply)}$&`)
      await expectRefused(s, await post(encode(xml)), 'bad_signature')
    })

    it('the signed assertion wrapped inside an unsigned one that names someone else', async () => {
      const { s, reply, post } = await started()
      const signed = signedAssertion(reply)
      const wrapper = evil(reply).replace('</saml:Subject>', `</saml:Subject>${signed}`)
      await expectRefused(s, await post(encode(idp.envelope(wrapper, reply))), 'bad_signature')
    })

    it('a signed assertion moved into a new, unsigned Response for another sign-in (SAML core 2.0 §3.2.2)', async () => {
      const { s, reply } = await started()
      // The attacker starts a sign-in of their own and sends the victim's assertion in it.
      const attacker = await startSignIn(s)
      const moved = idp.envelope(signedAssertion(reply), {
        ...attacker.reply,
        responseInResponseTo: attacker.request.id,
      })
      await expectRefused(s, await attacker.post(encode(moved)), 'in_response_to_mismatch')
    })
  })

  it('a comment inside the NameID (VU#475445): never read as alice@corp.example', async () => {
    const { s, reply, post } = await started()
    const nameId = 'alice@corp.example.evil.example'
    const xml = idp
      .responseXml({ ...reply, nameId, attributes: { email: nameId } })
      .replace(`>${nameId}</saml:NameID>`, '>alice@corp.example<!---->.evil.example</saml:NameID>')
    expect(xml).toContain('alice@corp.example<!---->.evil.example')
    await expectRefused(s, await post(encode(xml)), 'comment')
    const alice = await gw.db
      .selectFrom('users')
      .select('id')
      .where('subject', '=', 'alice@corp.example')
      .execute()
    expect(alice).toEqual([])
  })

  it('another audience (SAML core 2.0 §2.5.1.4)', async () => {
    const { s, reply, post } = await started()
    const res = await post(idp.response({ ...reply, audience: 'https://other.example/sp' }))
    await expectRefused(s, res, 'wrong_audience')
  })

  it('another Recipient (SAML profiles 2.0 §4.1.4.3)', async () => {
    const { s, reply, post } = await started()
    const res = await post(idp.response({ ...reply, recipient: 'https://other.example/acs' }))
    await expectRefused(s, res, 'wrong_recipient')
  })

  it('another Destination (SAML core 2.0 §3.2.2)', async () => {
    const { s, reply, post } = await started()
    const res = await post(idp.response({ ...reply, destination: 'https://other.example/acs' }))
    await expectRefused(s, res, 'wrong_destination')
  })

  it('another Issuer, signed with the trusted key (SAML profiles 2.0 §4.1.4.2)', async () => {
    const { s, reply, post } = await started()
    const res = await post(idp.response({ ...reply, issuer: 'https://other-idp.example/saml' }))
    await expectRefused(s, res, 'wrong_issuer')
  })

  it('expired conditions (SAML core 2.0 §2.5.1.2)', async () => {
    const { s, reply, post } = await started()
    const res = await post(idp.response({ ...reply, now: new Date(Date.now() - 3_600_000) }))
    await expectRefused(s, res, 'expired')
  })

  it('an expired SubjectConfirmationData with current conditions (SAML profiles 2.0 §4.1.4.2)', async () => {
    const { s, reply, post } = await started()
    // Past the 60 s clock skew allowed (SSO_CLOCK_SKEW).
    const res = await post(idp.response({ ...reply, confirmationNotOnOrAfter: -120 }))
    await expectRefused(s, res, 'expired')
  })

  it('conditions not yet valid (SAML core 2.0 §2.5.1.2)', async () => {
    const { s, reply, post } = await started()
    const res = await post(idp.response({ ...reply, notBefore: 600, notOnOrAfter: 900 }))
    await expectRefused(s, res, 'not_yet_valid')
  })

  it('a replayed assertion (SAML profiles 2.0 §4.1.4.5), IdP-initiated where nothing else is single use', async () => {
    const s = await samlStore({ locale: 'fr', allowIdpInitiated: true })
    const { b, reply } = await startSignIn(s)
    const field = idp.response({ ...reply, inResponseTo: null })
    expect((await continued(b, await b.post(s.acsPath, { SAMLResponse: field }))).status).toBe(303)
    const before = await counts(s)
    expect(before).toEqual({ users: 1, sessions: 1 })
    const again = await startSignIn(s)
    await expectRefused(s, await again.post(field), 'replay', before)
  })

  it('a replayed SP-initiated response: its InResponseTo is spent', async () => {
    const { s, reply, finish } = await started()
    const field = idp.response(reply)
    expect((await finish(field)).status).toBe(303)
    const again = await startSignIn(s)
    await expectRefused(s, await again.post(field), 'unknown_request', await counts(s))
  })

  it('an unknown InResponseTo (SAML profiles 2.0 §4.1.4.3)', async () => {
    const { s, reply, post } = await started()
    const res = await post(idp.response({ ...reply, inResponseTo: '_never-issued-by-us' }))
    await expectRefused(s, res, 'unknown_request')
  })

  it('a reused InResponseTo: a second assertion for a sign-in already finished', async () => {
    const { s, reply, post, finish } = await started()
    expect((await finish(idp.response(reply))).status).toBe(303)
    const res = await post(idp.response({ ...reply, nameId: 'bob@corp.example', attributes: {} }))
    await expectRefused(s, res, 'unknown_request', { users: 1, sessions: 1 })
  })

  it('an unsolicited (IdP-initiated) response while the directory does not allow it (SAML profiles 2.0 §4.1.5)', async () => {
    const { s, reply, post } = await started()
    const res = await post(idp.response({ ...reply, inResponseTo: null }))
    await expectRefused(s, res, 'idp_initiated')
  })

  it("an InResponseTo of another tenant's directory", async () => {
    const a = await started()
    const { s, reply, post } = await started()
    // A's request ID in B's response: the request store is scoped by tenant and directory.
    const res = await post(idp.response({ ...reply, inResponseTo: a.request.id }))
    await expectRefused(s, res, 'unknown_request')
  })

  it("signed by a key that is not in the directory's metadata", async () => {
    const { s, reply, post } = await started()
    const impostor = createIdp({ entityId: idp.entityId })
    await expectRefused(s, await post(impostor.response(reply)), 'bad_signature')
  })

  it('SHA-1 signatures and digests (NIST SP 800-131A; SECURITY-NOTES: node-saml accepts them)', async () => {
    const { s, reply, post } = await started()
    await expectRefused(
      s,
      await post(idp.response({ ...reply, algorithm: 'sha1' })),
      'weak_algorithm',
    )
  })

  it('an encrypted assertion whose key is sent with RSA PKCS#1 v1.5 (XML Encryption 1.1 §5.4.1)', async () => {
    const { s, reply, post, metadata } = await started()
    const encryptFor = spCertificatesOf(metadata).encryption[0]!
    const res = await post(idp.response({ ...reply, encryptFor, weakKeyTransport: true }))
    await expectRefused(s, res, 'weak_algorithm')
  })

  it('a DOCTYPE (OWASP ASVS 5.0 1.5.1)', async () => {
    const { s, reply, post } = await started()
    const xml = `<?xml version="1.0"?><!DOCTYPE Response SYSTEM "http://attacker.example/x.dtd">${idp.responseXml(reply)}`
    await expectRefused(s, await post(encode(xml)), 'doctype')
  })

  it('entity expansion (OWASP ASVS 5.0 1.5.1)', async () => {
    const { s, reply, post } = await started()
    const lol = `<!DOCTYPE r [<!ENTITY a "lollollollol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">]>`
    const xml = idp.responseXml(reply).replace('</samlp:Status>', '</samlp:Status>&c;')
    await expectRefused(s, await post(encode(`${lol}${xml}`)), 'doctype')
  })

  it("a response for tenant A's directory posted to tenant B (OWASP ASVS 5.0 8.4.1)", async () => {
    // Both stores trust the same company IdP, as two stores of one customer would.
    const a = await started()
    const b = await started()
    const field = idp.response(a.reply)
    // On B's host, A's directory does not exist; B's own directory is not the audience.
    const elsewhere = await b.post(field, a.s.acsPath)
    expect(elsewhere.status).toBe(404)
    await expectRefused(b.s, elsewhere, 'unknown_directory')
    await expectRefused(b.s, await b.post(field), 'wrong_audience')
    expect(await counts(a.s)).toEqual({ users: 0, sessions: 0 })
    // Still good where it belongs: nothing above spent it.
    expect((await a.finish(field)).status).toBe(303)
    expect(await counts(a.s)).toEqual({ users: 1, sessions: 1 })
  })

  it('an oversized SAMLResponse: 413 before it is parsed', async () => {
    const { s, reply, post } = await started()
    const huge = idp.response({ ...reply, attributes: { groups: 'x'.repeat(300_000) } })
    const res = await post(huge)
    expect(res.status).toBe(413)
    await expectRefused(s, res, 'too_large')
  })

  it('a SAMLResponse that is not base64, or not a Response', async () => {
    const { s, reply, post } = await started()
    await expectRefused(s, await post('<samlp:Response>'), 'malformed')
    const assertionOnly = encode(idp.sign(idp.assertion({ ...reply, id: '_x' }), '_x'))
    await expectRefused(s, await post(assertionOnly), 'malformed')
  })

  it('a person the IdP vouches for without an email address', async () => {
    const { s, reply, post } = await started()
    const res = await post(
      idp.response({
        ...reply,
        nameId: 'u-12345',
        nameIdFormat: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
        attributes: {},
      }),
    )
    await expectRefused(s, res, 'no_email')
  })
})
