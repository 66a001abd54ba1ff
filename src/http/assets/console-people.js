// The console's people pages (src/console/people.pages.ts): members, one member, the guests x
// apps grid, groups. Everything comes from the public admin API with the page's session: the
// CSRF token from the meta tag goes in X-CSRF-Token (src/console/csrf.ts), as console.js does.
// A file, not inline code, because the CSP forbids inline script. Text goes in with textContent.
;(function () {
  'use strict'

  const token = document.querySelector('meta[name="csrf-token"]')?.getAttribute('content') ?? ''
  const lang = document.documentElement.lang || 'en'
  const root = document.querySelector('.people')
  if (!root) return
  const base = root.dataset.api
  const L = (name) => root.dataset[`l${name[0].toUpperCase()}${name.slice(1)}`] ?? ''
  const fill = (text, params) =>
    text.replace(/%(\w+)/g, (m, name) => (name in params ? String(params[name]) : m))

  /** The admin API: JSON in and out; a failure throws {status, error, message, details}. */
  async function api(method, path, body) {
    const headers = { Accept: 'application/json', 'X-CSRF-Token': token }
    if (body !== undefined) headers['Content-Type'] = 'application/json'
    const res = await fetch(`${base}${path}`, {
      method,
      credentials: 'same-origin',
      headers,
      ...(body !== undefined && { body: JSON.stringify(body) }),
    })
    const data = res.status === 204 ? null : await res.json().catch(() => null)
    if (!res.ok) throw { status: res.status, ...(data ?? {}) }
    return data
  }

  const el = (tag, props = {}, ...children) => {
    const node = document.createElement(tag)
    for (const [k, v] of Object.entries(props)) {
      if (k === 'text') node.textContent = v
      else if (k === 'class') node.className = v
      else if (k.startsWith('data-') || k.startsWith('aria-') || k === 'role' || k === 'for')
        node.setAttribute(k, v)
      else node[k] = v
    }
    node.append(...children)
    return node
  }
  const stateLine = document.querySelector('[data-state]')
  const say = (text) => stateLine && (stateLine.textContent = text)
  const day = (iso) =>
    iso
      ? new Date(iso).toLocaleDateString(lang, { year: 'numeric', month: 'short', day: 'numeric' })
      : ''
  const when = (iso) =>
    iso ? new Date(iso).toLocaleString(lang, { dateStyle: 'medium', timeStyle: 'short' }) : '—'
  const statusLabel = (s) => L(`status${s[0].toUpperCase()}${s.slice(1)}`)
  // Colour and words together: a status is never told by colour alone.
  const badge = (status) =>
    el('span', {
      class: `badge badge-member-${status}`,
      'data-status': status,
      text: statusLabel(status),
    })
  const kindLabel = (k) => (k === 'guest' ? L('kindGuest') : L('kindMember'))
  const debounce = (fn, ms) => {
    let timer
    return (...args) => {
      clearTimeout(timer)
      timer = setTimeout(() => fn(...args), ms)
    }
  }
  const countLabel = (p) =>
    p.totalIsEstimate ? 'totalEstimate' : p.total === 1 ? 'totalOne' : 'total'
  const message = (err) => err?.message || L('failed')

  /** {error, message, details: {fields, form}} next to each field, and the rest on top. */
  function showErrors(form, top, err) {
    for (const p of form.querySelectorAll('[data-error-for]')) p.textContent = ''
    for (const c of form.querySelectorAll('[aria-invalid]')) c.removeAttribute('aria-invalid')
    top.textContent = ''
    if (!err) return
    const fields = err?.details?.fields ?? {}
    const unplaced = []
    for (const [name, messages] of Object.entries(fields)) {
      const slot = form.querySelector(`[data-error-for="${CSS.escape(name)}"]`)
      if (!slot) {
        unplaced.push(...messages)
        continue
      }
      slot.textContent = messages.join(' ')
      const control = form.querySelector(`[name="${CSS.escape(name)}"]`) ?? slot.closest('fieldset')
      control?.setAttribute('aria-invalid', 'true')
    }
    top.textContent = [message(err), ...unplaced].join(' ')
  }

  async function options(select, path, list, valueOf = (x) => x.name) {
    try {
      const data = await api('GET', path)
      for (const item of data[list])
        select.append(el('option', { value: valueOf(item), text: item.name }))
    } catch {
      /* the filter stays at "All" */
    }
  }

  // ---- Members -------------------------------------------------------------------------------
  function members() {
    const form = document.querySelector('[data-filters]')
    const table = document.querySelector('[data-members]')
    const total = document.querySelector('[data-total]')
    const prev = document.querySelector('[data-prev]')
    const next = document.querySelector('[data-next]')
    void options(form.elements.group, '/groups', 'groups')
    void options(form.elements.role, '/roles', 'roles')
    // Cursors of the pages seen: "previous" goes back one without offsets.
    let cursors = [null]
    let nextCursor = null
    let serial = 0
    async function load() {
      const mine = ++serial
      const query = new URLSearchParams()
      for (const name of ['q', 'kind', 'status', 'group', 'role', 'sort']) {
        const value = form.elements[name].value.trim()
        if (value) query.set(name, value)
      }
      if (query.get('q') && query.get('q').length >= 3) query.set('match', 'contains')
      query.set('limit', '25')
      const cursor = cursors.at(-1)
      if (cursor) query.set('cursor', cursor)
      say(L('loading'))
      table.setAttribute('aria-busy', 'true')
      try {
        const page = await api('GET', `/members?${query}`)
        if (mine !== serial) return
        table.tBodies[0].replaceChildren(
          ...page.items.map((m) => {
            const link = el('a', {
              href: `/admin/members/${encodeURIComponent(m.id)}`,
              text: m.name,
            })
            return el(
              'tr',
              { 'data-id': m.id },
              el('td', {}, link),
              el('td', {}, badge(m.status)),
              el('td', { text: m.email }),
              el('td', { text: kindLabel(m.kind) }),
              el('td', { text: m.role }),
              el('td', { text: m.groups.join(', ') }),
            )
          }),
        )
        total.textContent = fill(L(countLabel(page)), {
          n: page.total.toLocaleString(lang),
        })
        nextCursor = page.nextCursor
        next.disabled = !nextCursor
        prev.disabled = cursors.length <= 1
        say(page.items.length === 0 ? L('empty') : '')
        table.dataset.loaded = String(page.items.length)
      } catch (err) {
        if (mine !== serial) return
        say(message(err))
        table.dataset.loaded = 'failed'
      } finally {
        if (mine === serial) table.removeAttribute('aria-busy')
      }
    }
    const restart = () => {
      cursors = [null]
      void load()
    }
    form.addEventListener('submit', (e) => {
      e.preventDefault()
      restart()
    })
    form.elements.q.addEventListener('input', debounce(restart, 250))
    for (const name of ['kind', 'status', 'group', 'role', 'sort'])
      form.elements[name].addEventListener('change', restart)
    next.addEventListener('click', () => {
      if (!nextCursor) return
      cursors.push(nextCursor)
      void load()
    })
    prev.addEventListener('click', () => {
      if (cursors.length > 1) cursors.pop()
      void load()
    })
    void load()
  }

  // ---- One member ------------------------------------------------------------------------------
  function member() {
    const id = root.dataset.member
    const form = document.querySelector('[data-edit]')
    const facts = document.querySelector('[data-facts]')
    const actions = document.querySelector('[data-actions]')
    const formError = form.querySelector('[data-form-error]')
    const actionError = actions.querySelector('[data-action-error]')
    const toggle = actions.querySelector('[data-action="toggle"]')
    const convert = actions.querySelector('[data-action="convert"]')
    const remove = actions.querySelector('[data-action="remove"]')
    let current = null
    const productNames = new Map()

    function choices(kind, names, chosen) {
      const set = form.querySelector(`[data-choices="${kind}"]`)
      const slot = set.querySelector('[data-error-for]')
      for (const old of set.querySelectorAll('.people-choice')) old.remove()
      for (const name of [...new Set([...names, ...chosen])]) {
        const box = el('input', {
          type: 'checkbox',
          name: `${kind}[]`,
          value: name,
          checked: chosen.includes(name),
        })
        const apps = kind === 'products' ? productNames.get(name) : undefined
        const text = apps ? (apps.includes(name) ? name : `${apps.join(', ')} (${name})`) : name
        const label = el('label', { class: 'people-choice' }, box, ` ${text}`)
        set.insertBefore(label, slot)
      }
    }

    function show(m) {
      current = m
      const text = {
        email: m.email,
        status: null,
        kind: kindLabel(m.kind),
        directory: m.directory?.name ?? '—',
        externalId: m.externalId ?? '—',
        createdAt: when(m.createdAt),
        activatedAt: when(m.activatedAt),
        updatedAt: when(m.updatedAt),
        lastSignInAt: when(m.lastSignInAt),
      }
      for (const dd of facts.querySelectorAll('[data-fact]')) {
        const name = dd.dataset.fact
        if (name === 'status') dd.replaceChildren(badge(m.status))
        else if (name in text) dd.textContent = text[name]
      }
      document.querySelector('h1').textContent = m.name
      document.title = `${m.name} · ${document.title.split(' · ').slice(1).join(' · ')}`
      for (const name of ['firstName', 'lastName', 'phone', 'jobTitle'])
        form.elements[name].value = m[name] ?? ''
      form.elements.locale.value = m.locale ?? ''
      form.elements.role.value = m.role
      form.elements.organization.value = m.organization ?? ''
      toggle.textContent = m.status === 'disabled' ? L('enable') : L('disable')
      toggle.hidden = m.status === 'invited'
      convert.hidden = m.kind !== 'guest'
      root.dataset.status = m.status
    }

    async function start() {
      say(L('loading'))
      try {
        const [m, groups, roles, orgs, products, apps] = await Promise.all([
          api('GET', `/members/${encodeURIComponent(id)}`),
          api('GET', '/groups'),
          api('GET', '/roles'),
          api('GET', '/organizations'),
          api('GET', '/products'),
          api('GET', '/apps').catch(() => ({ apps: [] })),
        ])
        // A product is what an app declares, or the app's client id: named by its apps.
        for (const app of apps.apps) {
          const product = app.product ?? app.clientId
          productNames.set(product, [...(productNames.get(product) ?? []), app.name])
        }
        for (const r of roles.roles)
          form.elements.role.append(el('option', { value: r.name, text: r.name }))
        if (!roles.roles.some((r) => r.name === m.role))
          form.elements.role.append(el('option', { value: m.role, text: m.role }))
        for (const o of orgs.organizations)
          form.elements.organization.append(el('option', { value: o.name, text: o.name }))
        if (m.organization && !orgs.organizations.some((o) => o.name === m.organization))
          form.elements.organization.append(
            el('option', { value: m.organization, text: m.organization }),
          )
        choices(
          'groups',
          groups.groups.map((g) => g.name),
          m.groups,
        )
        choices(
          'products',
          products.products.map((p) => p.name ?? p),
          m.products,
        )
        show(m)
        facts.hidden = false
        form.hidden = false
        actions.hidden = false
        say('')
        root.dataset.loaded = 'true'
      } catch (err) {
        say(message(err))
      }
    }

    form.addEventListener('submit', async (e) => {
      e.preventDefault()
      const value = (name) => form.elements[name].value.trim() || null
      const checked = (kind) =>
        [...form.querySelectorAll(`input[name="${kind}[]"]:checked`)].map((b) => b.value)
      const patch = {
        firstName: value('firstName'),
        lastName: value('lastName'),
        phone: value('phone'),
        jobTitle: value('jobTitle'),
        locale: value('locale'),
        role: form.elements.role.value,
        groups: checked('groups'),
        products: checked('products'),
        organization: value('organization'),
      }
      // Only what changed: a shared identity's profile is the platform's (a 403 otherwise).
      const before = current
      for (const key of Object.keys(patch)) {
        const was = before[key] ?? null
        if (JSON.stringify(was) === JSON.stringify(patch[key])) delete patch[key]
      }
      try {
        const m = Object.keys(patch).length
          ? await api('PATCH', `/members/${encodeURIComponent(id)}`, patch)
          : before
        showErrors(form, formError, null)
        formError.textContent = ''
        show({ ...before, ...m })
        say(L('saved'))
      } catch (err) {
        say('')
        showErrors(form, formError, err)
      }
    })

    async function act(run) {
      actionError.textContent = ''
      try {
        await run()
      } catch (err) {
        actionError.textContent = message(err)
      }
    }
    toggle.addEventListener('click', () =>
      act(async () => {
        const verb = current.status === 'disabled' ? 'enable' : 'disable'
        show({ ...current, ...(await api('POST', `/members/${encodeURIComponent(id)}/${verb}`)) })
        say(L('saved'))
      }),
    )
    convert.addEventListener('click', () =>
      act(async () => {
        show({ ...current, ...(await api('POST', `/members/${encodeURIComponent(id)}/convert`)) })
        say(L('saved'))
      }),
    )
    remove.addEventListener('click', () =>
      act(async () => {
        if (!window.confirm(fill(L('confirmRemove'), { name: current.name }))) return
        await api('DELETE', `/members/${encodeURIComponent(id)}`)
        form.hidden = true
        actions.hidden = true
        say(L('removed'))
        root.dataset.removed = 'true'
      }),
    )
    void start()
  }

  // ---- Guests x apps (seed 002) --------------------------------------------------------------
  function guests() {
    const form = document.querySelector('[data-filters]')
    const table = document.querySelector('[data-guests]')
    const total = document.querySelector('[data-total]')
    const actionError = document.querySelector('[data-action-error]')
    let serial = 0

    function cellButton(guest, app) {
      const granted = guest.apps.includes(app.clientId)
      const button = el('button', {
        type: 'button',
        class: 'people-toggle',
        'aria-pressed': String(granted),
        'aria-label': fill(L('toggleAccess'), { guest: guest.email, app: app.name }),
        'data-client': app.clientId,
        'data-guest': guest.id,
        title: granted ? L('granted') : L('notGranted'),
      })
      button.append(el('span', { 'aria-hidden': 'true', text: granted ? '✓' : '' }))
      button.addEventListener('click', async () => {
        const on = button.getAttribute('aria-pressed') !== 'true'
        button.disabled = true
        actionError.textContent = ''
        try {
          await api(
            on ? 'PUT' : 'DELETE',
            `/members/${encodeURIComponent(guest.id)}/apps/${encodeURIComponent(app.clientId)}`,
          )
          button.setAttribute('aria-pressed', String(on))
          button.title = on ? L('granted') : L('notGranted')
          button.firstChild.textContent = on ? '✓' : ''
        } catch (err) {
          actionError.textContent = message(err)
        } finally {
          button.disabled = false
          button.focus()
        }
      })
      return button
    }

    async function load() {
      const mine = ++serial
      const query = new URLSearchParams({ limit: '200', sort: form.elements.sort.value })
      const q = form.elements.q.value.trim()
      if (q) query.set('q', q)
      if (q.length >= 3) query.set('match', 'contains')
      say(L('loading'))
      try {
        const grid = await api('GET', `/guests?${query}`)
        if (mine !== serial) return
        const head = table.tHead.rows[0]
        head.replaceChildren(
          head.cells[0],
          ...grid.apps.map((a) => el('th', { scope: 'col', text: a.name })),
        )
        table.tBodies[0].replaceChildren(
          ...grid.guests.map((g) => {
            const created = fill(L('created'), { date: day(g.createdAt) })
            const name = el('a', {
              href: `/admin/members/${encodeURIComponent(g.id)}`,
              title: created,
              text: g.email,
            })
            const th = el(
              'th',
              { scope: 'row' },
              name,
              el('span', { class: 'visually-hidden', text: ` (${created})` }),
            )
            return el(
              'tr',
              { 'data-id': g.id },
              th,
              ...grid.apps.map((a) => el('td', {}, cellButton(g, a))),
            )
          }),
        )
        total.textContent = fill(L(countLabel(grid)), {
          n: grid.total.toLocaleString(lang),
        })
        say(grid.guests.length === 0 ? L('empty') : '')
        table.dataset.loaded = String(grid.guests.length)
      } catch (err) {
        if (mine === serial) say(message(err))
      }
    }
    form.addEventListener('submit', (e) => {
      e.preventDefault()
      void load()
    })
    form.elements.q.addEventListener('input', debounce(load, 250))
    form.elements.sort.addEventListener('change', load)
    void load()
    addGuests(load)
  }

  // Seed 002: an admin adds guests (an invitation as a guest), ticks the apps they may open (the
  // apps' products on the invitation), and sees them in the grid, where access can change later.
  function addGuests(reload) {
    const add = document.querySelector('[data-add-guests]')
    const apps = add.querySelector('[data-guest-apps]')
    const top = add.querySelector('[data-add-error]')
    const results = add.querySelector('[data-add-results]')
    api('GET', '/guests?limit=1')
      .then((grid) => {
        apps.replaceChildren(
          apps.querySelector('legend'),
          ...grid.apps.map((a, i) =>
            el(
              'div',
              { class: 'checkbox' },
              el('input', { type: 'checkbox', id: `g-app-${i}`, value: a.product }),
              el('label', { for: `g-app-${i}`, text: a.name }),
            ),
          ),
        )
        apps.hidden = grid.apps.length === 0
      })
      .catch(() => (apps.hidden = true))
    add.addEventListener('submit', async (e) => {
      e.preventDefault()
      const submit = add.querySelector('button[type="submit"]')
      submit.disabled = true
      results.replaceChildren()
      try {
        const products = [...apps.querySelectorAll('input:checked')].map((c) => c.value)
        const data = await api('POST', '/invitations', {
          emails: add.elements.emails.value,
          kind: 'guest',
          products,
        })
        showErrors(add, top, null)
        results.replaceChildren(
          ...data.results.map((r) => {
            const ok = r.status === 'invited' || r.status === 'reinvited'
            const text = ok
              ? fill(L('guestInvited'), { email: r.email })
              : fill(L('guestNotInvited'), {
                  email: r.email || `#${r.line ?? ''}`,
                  reason: r.reason ?? r.status,
                })
            return el('li', { 'data-status': r.status, text })
          }),
        )
        if (data.results.some((r) => r.status === 'invited' || r.status === 'reinvited')) {
          add.elements.emails.value = ''
          for (const c of apps.querySelectorAll('input:checked')) c.checked = false
          await reload()
        }
      } catch (err) {
        showErrors(add, top, err)
      } finally {
        submit.disabled = false
      }
    })
  }

  // ---- Groups -----------------------------------------------------------------------------------
  function groups() {
    const create = document.querySelector('[data-create-group]')
    const table = document.querySelector('[data-groups]')
    const actionError = document.querySelector('[data-action-error]')

    function row(g) {
      const name = g.builtin
        ? el(
            'td',
            {},
            el('span', { text: g.name }),
            ' ',
            el('span', { class: 'badge badge-builtin', text: L('builtin') }),
          )
        : el(
            'td',
            {},
            el('input', {
              type: 'text',
              value: g.name,
              maxLength: 100,
              'aria-label': fill(L('groupName'), { name: g.name }),
              'data-rename': g.id,
            }),
          )
      const buttons = el('td', { class: 'people-row-actions' })
      if (!g.builtin) {
        const rename = el('button', { type: 'button', text: L('rename'), 'data-action': 'rename' })
        rename.addEventListener('click', () =>
          act(async () => {
            const input = name.querySelector('input')
            await api('PATCH', `/groups/${encodeURIComponent(g.id)}`, { name: input.value.trim() })
            await load()
            say(L('saved'))
          }),
        )
        const del = el('button', {
          type: 'button',
          class: 'danger',
          text: L('delete'),
          'data-action': 'delete',
        })
        del.addEventListener('click', () =>
          act(async () => {
            if (!window.confirm(fill(L('confirmDeleteGroup'), { name: g.name }))) return
            await api('DELETE', `/groups/${encodeURIComponent(g.id)}`)
            await load()
            say(L('removed'))
          }),
        )
        buttons.append(rename, ' ', del)
      }
      return el(
        'tr',
        { 'data-group': g.name },
        name,
        el('td', { text: g.memberCount.toLocaleString(lang) }),
        buttons,
      )
    }
    async function act(run) {
      actionError.textContent = ''
      try {
        await run()
      } catch (err) {
        actionError.textContent = message(err)
      }
    }
    async function load() {
      say(L('loading'))
      try {
        const data = await api('GET', '/groups')
        table.tBodies[0].replaceChildren(...data.groups.map(row))
        say('')
        table.dataset.loaded = String(data.groups.length)
      } catch (err) {
        say(message(err))
      }
    }
    create.addEventListener('submit', async (e) => {
      e.preventDefault()
      const top = actionError
      try {
        await api('POST', '/groups', { name: create.elements.name.value.trim() })
        showErrors(create, top, null)
        top.textContent = ''
        create.elements.name.value = ''
        await load()
        say(L('saved'))
      } catch (err) {
        showErrors(create, top, err)
      }
    })
    void load()
  }

  const PAGES = { members, member, guests, groups }
  function start() {
    PAGES[root.dataset.page]?.()
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start)
  else start()
})()
