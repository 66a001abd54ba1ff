import { describe, expect, it } from 'vitest'
import { useGateway } from '../support/harness.js'
import { createIdp } from '../support/saml-idp.js'
import { samlHelpers } from '../support/saml-sign-in.js'

// Issue 11, "Audit log": sign-ins and SSO errors, beside the admins' changes. A company sign-in
// is the person's own event; a refused one names the directory and the reason, never the
// IdP's text (the security log line keeps that).
const gw = useGateway()
const idp = createIdp()
const { started, continued } = samlHelpers(gw, idp)

const eventsOf = (tenantId: string) =>
  gw.db
    .selectFrom('audit_events')
    .select(['action', 'actor_kind', 'actor_id', 'subject_kind', 'subject_id', 'ip', 'details'])
    .where('tenant_id', '=', tenantId)
    .orderBy('id')
    .execute()

describe('company sign-ins in the audit log', () => {
  it('records a SAML sign-in as the person, with the directory and whether the account was made', async () => {
    const { s, reply, b, post } = await started()
    const done = await continued(b, await post(idp.response(reply)))
    expect(done.status).toBe(303)
    const membership = await gw.db
      .selectFrom('memberships')
      .select('id')
      .where('tenant_id', '=', s.tenant.id)
      .executeTakeFirstOrThrow()
    const [event, ...rest] = await eventsOf(s.tenant.id)
    expect(rest).toEqual([])
    expect(event).toMatchObject({
      action: 'sign_in.succeeded',
      actor_kind: 'person',
      actor_id: membership.id,
      subject_kind: 'member',
      subject_id: membership.id,
      details: { method: 'saml', directoryId: s.directory.id, created: true },
    })
    expect(event!.ip).toBeTruthy()
  })

  it("records a refused response with its reason and the directory, not the IdP's words", async () => {
    const { s, reply, post } = await started()
    const refused = await post(idp.response({ ...reply, audience: 'https://someone-else.example' }))
    expect(refused.status).toBe(400)
    const events = await eventsOf(s.tenant.id)
    expect(events).toEqual([
      expect.objectContaining({
        action: 'sign_in.sso_refused',
        actor_kind: 'anonymous',
        subject_kind: 'directory',
        subject_id: s.directory.id,
        details: { method: 'saml', directoryId: s.directory.id, reason: 'wrong_audience' },
      }),
    ])
  })

  it('writes nothing for a POST to a directory that does not exist', async () => {
    const { s, reply, b } = await started()
    const res = await b.post(`/sso/saml/${crypto.randomUUID()}/acs`, {
      SAMLResponse: idp.response(reply),
    })
    expect(res.status).toBe(404)
    expect(await eventsOf(s.tenant.id)).toEqual([])
  })
})
