import { describe, expect, it } from 'vitest'
import { tenantWithKey } from '../support/admin-api.js'
import { declareCatalogue } from '../support/catalogues.js'
import { samlInput } from '../support/directory-inputs.js'
import { useGateway } from '../support/harness.js'

// Issue 11: a company directory's group mapping names only what the store's catalogues hold, so
// a sign-in never hands out a role or group nobody defined; the catalogue cannot pull a name
// from under a mapping, and a rename follows into it.
const gw = useGateway()

describe('a directory’s group mapping and the store’s catalogues', () => {
  it('refuses unknown roles and groups, each under its entry, and keeps the catalogue’s spelling', async () => {
    const { tenant, api } = await tenantWithKey(gw)
    const groupMapping = [
      { idpGroup: 'fin', role: 'controller', groups: ['finance'] },
      { idpGroup: 'all', groups: ['everybody'] },
    ]
    const refused = await api('post', '/directories').send(samlInput({ groupMapping }))
    expect(refused.status).toBe(400)
    expect(refused.body.error).toBe('invalid_request')
    expect(refused.body.details.fields).toEqual({
      'groupMapping.0.role': ['There is no role "controller" in this store.'],
      'groupMapping.0.groups': ['There is no group "finance" in this store.'],
    })
    expect((await api('get', '/directories').expect(200)).body.directories).toEqual([])

    await declareCatalogue(gw.db, tenant.id, { roles: ['controller'], groups: ['Finance'] })
    const created = await api('post', '/directories').send(samlInput({ groupMapping }))
    expect(created.status, created.text).toBe(201)
    expect(created.body.groupMapping).toEqual([
      { idpGroup: 'fin', role: 'controller', groups: ['Finance'] },
      { idpGroup: 'all', groups: ['Everybody'] },
    ])

    // A change of the mapping is checked the same way.
    const patched = await api('patch', `/directories/${created.body.id}`).send({
      groupMapping: [{ idpGroup: 'ops', groups: ['Operations'] }],
    })
    expect(patched.status).toBe(400)
    expect(patched.body.details.fields['groupMapping.0.groups']).toEqual([
      'There is no group "Operations" in this store.',
    ])
  })

  it('refuses to delete what a mapping gives, and renames follow into the mapping', async () => {
    const { tenant, api } = await tenantWithKey(gw)
    await declareCatalogue(gw.db, tenant.id, { roles: ['controller'], groups: ['Finance'] })
    const groupMapping = [{ idpGroup: 'fin', role: 'controller', groups: ['Finance'] }]
    const directory = (
      await api('post', '/directories')
        .send(samlInput({ name: 'Corp', groupMapping }))
        .expect(201)
    ).body
    const groups = (await api('get', '/groups').expect(200)).body.groups as {
      id: string
      name: string
    }[]
    const finance = groups.find((g) => g.name === 'Finance')!
    const roles = (await api('get', '/roles').expect(200)).body.roles as {
      id: string
      name: string
    }[]
    const controller = roles.find((r) => r.name === 'controller')!

    const groupDeleted = await api('delete', `/groups/${finance.id}`)
    expect(groupDeleted.status).toBe(409)
    expect(groupDeleted.body.message).toContain('"Corp"')
    expect((await api('delete', `/roles/${controller.id}`)).status).toBe(409)

    await api('patch', `/groups/${finance.id}`).send({ name: 'Finance team' }).expect(200)
    await api('patch', `/roles/${controller.id}`).send({ name: 'comptroller' }).expect(200)
    const after = (await api('get', `/directories/${directory.id}`).expect(200)).body
    expect(after.groupMapping).toEqual([
      { idpGroup: 'fin', role: 'comptroller', groups: ['Finance team'] },
    ])

    // Out of the mapping, the group can go.
    await api('patch', `/directories/${directory.id}`).send({ groupMapping: [] }).expect(200)
    expect((await api('delete', `/groups/${finance.id}`)).status).toBe(204)
  })
})
