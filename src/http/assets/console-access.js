// The console's access requests (src/console/access-requests.pages.ts): the pending list with
// Approve (role, groups, apps) and Deny, and the signed-in admin's own mail subscription. All
// through the public admin API with the page's session: the CSRF token from the meta tag goes
// in X-CSRF-Token, as console.js does. Text goes in with textContent only (the CSP forbids
// inline script, and requesters' words are untrusted).
;(function () {
  'use strict'

  const token = document.querySelector('meta[name="csrf-token"]')?.getAttribute('content') ?? ''
  const lang = document.documentElement.lang || 'en'
  const root = document.querySelector('.access-requests')
  if (!root) return
  const base = `${root.dataset.api}/access-requests`
  const api = root.dataset.api
  const L = (name, params = {}) =>
    (root.dataset[`l${name[0].toUpperCase()}${name.slice(1)}`] ?? '').replace(
      /\{(\w+)\}/g,
      (_, k) => params[k] ?? '',
    )

  async function call(method, path, body) {
    const headers = { Accept: 'application/json', 'X-CSRF-Token': token }
    if (body !== undefined) headers['Content-Type'] = 'application/json'
    const res = await fetch(path, {
      method,
      credentials: 'same-origin',
      headers,
      ...(body !== undefined && { body: JSON.stringify(body) }),
    })
    const data = await res.json().catch(() => null)
    return { ok: res.ok, status: res.status, data }
  }

  function el(tag, props = {}, ...children) {
    const node = document.createElement(tag)
    for (const [k, v] of Object.entries(props)) {
      if (k === 'text') node.textContent = v
      else if (k === 'onclick') node.addEventListener('click', v)
      else node.setAttribute(k, v)
    }
    node.append(...children)
    return node
  }

  const state = root.querySelector('[data-state]')
  const notice = document.getElementById('ar-notice')
  const tbody = root.querySelector('tbody')
  const more = root.querySelector('[data-more]')
  const say = (text) => (notice.textContent = text)
  const when = (iso) =>
    new Date(iso).toLocaleString(lang, { dateStyle: 'medium', timeStyle: 'short' })
  let cursor = null

  function row(r) {
    const approve = el('button', { type: 'button', text: L('approve'), 'data-approve': r.id })
    const deny = el('button', {
      type: 'button',
      class: 'secondary',
      text: L('deny'),
      'data-deny': r.id,
    })
    approve.addEventListener('click', () => openApprove(r, approve))
    deny.addEventListener('click', () => confirmDeny(r, deny))
    return el(
      'tr',
      { 'data-request': r.id },
      el('td', { text: r.email }),
      el('td', { text: r.name }),
      el('td', { class: 'message-cell', text: r.message }),
      el('td', { text: when(r.createdAt) }),
      el('td', {}, approve, ' ', deny),
    )
  }

  async function load(reset) {
    if (reset) {
      cursor = null
      tbody.replaceChildren()
    }
    state.textContent = L('loading')
    const query = `?status=pending&limit=50${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`
    const res = await call('GET', `${base}${query}`)
    if (!res.ok) return (state.textContent = res.data?.message || L('failed'))
    for (const r of res.data.items) tbody.append(row(r))
    cursor = res.data.nextCursor
    more.hidden = !cursor
    state.textContent = tbody.children.length ? '' : L('empty')
    root.dataset.ready = '1'
  }
  more.addEventListener('click', () => load(false))

  // The approve dialog: the invitation's own fields, with the store's apps' products to tick.
  const dialog = document.getElementById('ar-approve-dialog')
  const form = document.getElementById('ar-approve-form')
  const errors = form.querySelector('.form-errors')
  let current = null
  let opener = null
  let prepared = false
  async function prepare() {
    if (prepared) return
    prepared = true
    const apps = await call('GET', `${api}/apps`)
    const products = [
      ...new Set((apps.data?.apps ?? []).map((a) => a.product).filter(Boolean)),
    ].sort()
    const box = document.getElementById('ar-products')
    box.querySelector('[data-products-empty]').hidden = products.length > 0
    products.forEach((product, i) => {
      const id = `ar-product-${i}`
      box.append(
        el(
          'div',
          { class: 'checkbox' },
          el('input', { type: 'checkbox', id, value: product, 'data-product': '' }),
          el('label', { for: id, text: product }),
        ),
      )
    })
  }
  async function openApprove(r, button) {
    current = r
    opener = button
    errors.hidden = true
    document.getElementById('ar-approve-title').textContent = L('approveTitle', { email: r.email })
    dialog.showModal()
    await prepare()
    form.elements.namedItem('role').focus()
  }
  const close = (d, back) => {
    d.close()
    back?.focus()
  }
  dialog.querySelector('[data-close]').addEventListener('click', () => close(dialog, opener))
  form.addEventListener('submit', async (event) => {
    event.preventDefault()
    const f = form.elements
    const body = {
      role: f.namedItem('role').value.trim() || 'user',
      kind: f.namedItem('kind').value,
      groups: f
        .namedItem('groups')
        .value.split(',')
        .map((s) => s.trim())
        .filter(Boolean),
      products: [...form.querySelectorAll('[data-product]:checked')].map((c) => c.value),
    }
    const organization = f.namedItem('organization').value.trim()
    if (organization) body.organization = organization
    const res = await call('POST', `${base}/${encodeURIComponent(current.id)}/approve`, body)
    if (!res.ok) {
      errors.textContent = res.data?.message || L('failed')
      errors.hidden = false
      return
    }
    close(dialog)
    say(L('approved', { email: current.email }))
    await load(true)
    state.focus?.()
  })

  const confirmDialog = document.getElementById('ar-confirm-dialog')
  let denying = null
  function confirmDeny(r, button) {
    denying = r
    opener = button
    document.getElementById('ar-confirm-text').textContent = L('confirmDeny', { email: r.email })
    confirmDialog.showModal()
  }
  confirmDialog
    .querySelector('[data-close]')
    .addEventListener('click', () => close(confirmDialog, opener))
  confirmDialog.querySelector('[data-confirm]').addEventListener('click', async () => {
    const r = denying
    const res = await call('POST', `${base}/${encodeURIComponent(r.id)}/deny`)
    close(confirmDialog)
    say(res.ok ? L('denied', { email: r.email }) : res.data?.message || L('failed'))
    await load(true)
  })

  // The signed-in admin's own subscription (GET/PUT .../access-requests/subscription).
  const box = document.getElementById('ar-subscribed')
  call('GET', `${base}/subscription`).then((res) => {
    if (!res.ok) return
    box.checked = res.data.subscribed
    box.disabled = false
  })
  box.addEventListener('change', async () => {
    box.disabled = true
    const res = await call('PUT', `${base}/subscription`, { subscribed: box.checked })
    box.disabled = false
    if (!res.ok) {
      box.checked = !box.checked
      return say(res.data?.message || L('failed'))
    }
    say(L('saved'))
  })

  load(true)
})()
