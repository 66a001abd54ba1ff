// The admin console's lists, read from the public admin API with the page's session: the CSRF
// token comes from the page's meta tag and goes in X-CSRF-Token (src/console/csrf.ts). A file,
// not inline code, because the CSP forbids inline script. Text goes in with textContent only.
;(function () {
  'use strict'

  const token = document.querySelector('meta[name="csrf-token"]')?.getAttribute('content') ?? ''
  const lang = document.documentElement.lang || 'en'

  function api(path) {
    return fetch(path, {
      credentials: 'same-origin',
      headers: { Accept: 'application/json', 'X-CSRF-Token': token },
    })
  }

  function cell(text, className) {
    const td = document.createElement('td')
    td.textContent = text
    if (className) td.className = className
    return td
  }

  function day(iso) {
    return new Date(iso).toLocaleDateString(lang, {
      year: 'numeric',
      month: 'short',
      day: 'numeric',
    })
  }

  // Colour and words together: a status is never told by colour alone.
  function statusCell(item, labels) {
    const td = document.createElement('td')
    const badge = document.createElement('span')
    const tone = item.status === 'pending' ? (item.warning ?? 'ok') : item.status
    badge.className = `badge badge-${tone}`
    badge.dataset.status = item.status
    badge.textContent =
      labels[item.status] + (item.warning && item.status === 'pending' ? ` · ${labels.soon}` : '')
    td.append(badge)
    return td
  }

  const ROWS = {
    invitations(item, labels) {
      const name = [item.firstName, item.lastName].filter(Boolean).join(' ')
      return [
        cell(item.email),
        cell(name),
        statusCell(item, labels),
        cell(item.status === 'pending' ? day(item.expiresAt) : ''),
      ]
    },
    tenants(item) {
      const link = document.createElement('a')
      link.href = `${item.publicUrl}/admin`
      link.textContent = item.publicUrl
      const address = document.createElement('td')
      address.append(link)
      return [cell(item.name), cell(item.slug), address]
    },
  }

  async function load(table) {
    const state = document.querySelector(`[data-state-for="${table.dataset.list}"]`)
    const say = (text) => state && (state.textContent = text)
    say(state?.dataset.loading ?? '')
    const labels = table.dataset
    try {
      const res = await api(table.dataset.source)
      if (!res.ok) throw new Error(`HTTP ${res.status}`)
      const { items } = await res.json()
      const body = table.tBodies[0]
      body.replaceChildren(
        ...items.map((item) => {
          const tr = document.createElement('tr')
          tr.append(...ROWS[table.dataset.list](item, labels))
          return tr
        }),
      )
      say(items.length === 0 ? (state?.dataset.empty ?? '') : '')
      table.dataset.loaded = String(items.length)
    } catch {
      say(state?.dataset.failed ?? '')
      table.dataset.loaded = 'failed'
    }
  }

  function start() {
    for (const table of document.querySelectorAll('table[data-list]')) void load(table)
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start)
  else start()
})()
