// The admin console's pages, driven by the public admin API with the page's session: the CSRF
// token comes from the page's meta tag and goes in X-CSRF-Token (src/console/csrf.ts). A file,
// not inline code, because the CSP forbids inline script. Text goes in with textContent only;
// the page's words come from the JSON data block the server wrote in the page's language.
;(function () {
  'use strict'

  const token = document.querySelector('meta[name="csrf-token"]')?.getAttribute('content') ?? ''
  const lang = document.documentElement.lang || 'en'
  const M = JSON.parse(document.getElementById('console-messages')?.textContent || '{}')

  function msg(key, params = {}) {
    return (M[key] ?? key).replace(/\{(\w+)\}/g, (_, name) => params[name] ?? '')
  }

  /** A call of the admin API: {ok, status, data}; data is the JSON answer (or the error body). */
  async function call(method, path, body) {
    const headers = { Accept: 'application/json', 'X-CSRF-Token': token }
    if (body !== undefined) headers['Content-Type'] = 'application/json'
    const res = await fetch(path, {
      method,
      credentials: 'same-origin',
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const text = await res.text()
    let data = null
    try {
      data = text ? JSON.parse(text) : null
    } catch {
      data = { message: `HTTP ${res.status}` }
    }
    return { ok: res.ok, status: res.status, data }
  }

  function el(tag, props = {}, ...children) {
    const node = document.createElement(tag)
    for (const [name, value] of Object.entries(props)) {
      if (value === undefined || value === null || value === false) continue
      if (name === 'text') node.textContent = value
      else if (name === 'className') node.className = value
      else if (name === 'dataset') Object.assign(node.dataset, value)
      else if (name === 'onclick') node.addEventListener('click', value)
      else node.setAttribute(name, value === true ? '' : value)
    }
    node.append(...children.filter((c) => c !== null && c !== undefined))
    return node
  }
  const cell = (text, className) => el('td', { text: text ?? '', className })

  function when(iso, withDate = true) {
    const d = new Date(iso)
    const sameDay = d.toDateString() === new Date().toDateString()
    return d.toLocaleString(lang, {
      ...(withDate && !sameDay && { year: 'numeric', month: 'short', day: 'numeric' }),
      hour: '2-digit',
      minute: '2-digit',
    })
  }
  const day = (iso) =>
    new Date(iso).toLocaleDateString(lang, { year: 'numeric', month: 'short', day: 'numeric' })

  // ---- Announcements, errors, dialogs --------------------------------------------------------

  const notice = document.getElementById('console-notice')
  function announce(text) {
    if (!notice) return
    notice.textContent = ''
    // A fresh text node each time, so a repeated message is announced again.
    setTimeout(() => (notice.textContent = text), 50)
  }

  function stateOf(list) {
    const state = document.querySelector(`[data-state-for="${list}"]`)
    return (text) => state && (state.textContent = text)
  }

  /** Clears a form's error marks. */
  function clearErrors(form) {
    for (const p of form.querySelectorAll('.field-error')) p.remove()
    for (const f of form.querySelectorAll('[aria-invalid]')) {
      f.removeAttribute('aria-invalid')
      const ids = (f.getAttribute('aria-describedby') ?? '')
        .split(' ')
        .filter((id) => id && !id.endsWith('-error'))
      if (ids.length) f.setAttribute('aria-describedby', ids.join(' '))
      else f.removeAttribute('aria-describedby')
    }
    const alert = form.querySelector('.form-errors')
    if (alert) {
      alert.hidden = true
      alert.textContent = ''
    }
  }

  /** The field a `details.fields` key names: "warnings.red", "redirectUris.1" (its list). */
  function fieldFor(form, key) {
    const parts = key.split('.')
    for (let n = parts.length; n > 0; n--) {
      const name = parts.slice(0, n).join('.')
      const found =
        form.querySelector(`[name="${CSS.escape(name)}"]:not([type="checkbox"][data-product])`) ??
        form.querySelector(`[data-field="${CSS.escape(name)}"]`)
      if (found) return found
    }
    return null
  }

  /** The API's {error, message, details: {fields, form}} shown next to each field it names. */
  function showErrors(form, data) {
    clearErrors(form)
    const fields = data?.details?.fields ?? {}
    const general = [...(data?.details?.form ?? [])]
    let first = null
    for (const [key, messages] of Object.entries(fields)) {
      const target = fieldFor(form, key)
      if (!target) {
        general.push(`${key}: ${messages.join(' ')}`)
        continue
      }
      const id = `${target.id || key.replace(/\W/g, '-')}-error`
      const p = el('p', { className: 'field-error', id, text: messages.join(' ') })
      if (target.tagName === 'FIELDSET') target.append(p)
      else {
        target.after(p)
        target.setAttribute('aria-invalid', 'true')
        const described = target.getAttribute('aria-describedby')
        target.setAttribute('aria-describedby', described ? `${described} ${id}` : id)
      }
      first ??= target
    }
    const alert = form.querySelector('.form-errors')
    if (alert) {
      const text = [data?.message ?? '', ...general].filter(Boolean).join(' ')
      alert.textContent = Object.keys(fields).length
        ? msg('cpFormErrors', { message: text })
        : msg('cpFailed', { message: text })
      alert.hidden = false
    }
    ;(first && first.tagName !== 'FIELDSET' ? first : alert)?.focus?.()
  }

  // A modal <dialog> keeps focus inside (the rest of the page is inert) and Escape closes it;
  // closing gives focus back to what opened it.
  function openDialog(dialog, opener) {
    dialog.returnTo = opener ?? document.activeElement
    dialog.showModal()
  }
  for (const dialog of document.querySelectorAll('dialog')) {
    dialog.addEventListener('close', () => dialog.returnTo?.focus?.())
    for (const b of dialog.querySelectorAll('[data-close]'))
      b.addEventListener('click', () => dialog.close('cancel'))
  }

  /** Asks before a destructive action; resolves true when the admin confirms. */
  function confirmAction(text, okLabel, opener) {
    const dialog = document.getElementById('confirm-dialog')
    dialog.querySelector('#confirm-text').textContent = text
    const ok = dialog.querySelector('[data-confirm]')
    ok.textContent = okLabel
    return new Promise((resolve) => {
      const done = () => {
        dialog.removeEventListener('close', done)
        ok.removeEventListener('click', yes)
        resolve(dialog.returnValue === 'ok')
      }
      const yes = () => dialog.close('ok')
      ok.addEventListener('click', yes)
      dialog.addEventListener('close', done)
      dialog.returnValue = ''
      openDialog(dialog, opener)
      dialog.querySelector('[data-close]').focus()
    })
  }

  /** Runs an action from a button: busy while it runs, an announcement or an alert after. */
  async function act(button, run) {
    button.disabled = true
    try {
      const result = await run()
      if (result && !result.ok) announce(msg('cpFailed', { message: result.data?.message ?? '' }))
    } finally {
      if (button.isConnected) button.disabled = false
    }
  }

  // Colour and words together: a status is never told by colour alone.
  function statusBadge(item) {
    const tone = item.status === 'pending' ? (item.warning ?? 'ok') : item.status
    const label = msg(`status${item.status[0].toUpperCase()}${item.status.slice(1)}`)
    return el('span', {
      className: `badge badge-${tone}`,
      dataset: { status: item.status, tone },
      text: label + (item.warning && item.status === 'pending' ? ` · ${msg('expiresSoon')}` : ''),
    })
  }

  /** A list with keyset pages: `fetchPage(cursor)` answers {items, nextCursor}. */
  function pagedList(list, fetchPage, row) {
    const table = document.querySelector(`table[data-list="${list}"]`)
    const more = document.querySelector(`[data-more="${list}"]`)
    const say = stateOf(list)
    let cursor = null
    async function load(reset) {
      if (reset) cursor = null
      say(msg('listLoading'))
      const res = await fetchPage(cursor)
      if (!res.ok) {
        say(res.status === 400 ? '' : msg('listFailed'))
        table.dataset.loaded = 'failed'
        return res
      }
      const body = table.tBodies[0]
      const rows = res.items.map((item) => {
        const tr = el('tr')
        tr.append(...row(item))
        return tr
      })
      if (reset) body.replaceChildren(...rows)
      else body.append(...rows)
      cursor = res.nextCursor
      if (more) more.hidden = !cursor
      say(body.rows.length === 0 ? msg('listEmpty') : '')
      table.dataset.loaded = String(body.rows.length)
      return res
    }
    more?.addEventListener('click', () => void load(false))
    return load
  }

  const PAGES = {}

  // ---- Users and invitations -----------------------------------------------------------------

  PAGES.invitations = function (root) {
    const api = root.dataset.api
    let refreshTimer
    const load = pagedList(
      'invitations',
      async (cursor) => {
        const q = new URLSearchParams({ limit: '100' })
        if (cursor) q.set('cursor', cursor)
        const res = await call('GET', `${api}/invitations?${q}`)
        return { ...res, items: res.data?.items ?? [], nextCursor: res.data?.nextCursor }
      },
      (item) => invitationRow(item),
    )
    const reload = async () => {
      await load(true)
      scheduleRefresh()
    }

    // A disabled resend comes back by itself when its time comes.
    function scheduleRefresh() {
      clearTimeout(refreshTimer)
      const times = [...root.querySelectorAll('[data-resend-at]')].map((b) =>
        Date.parse(b.dataset.resendAt),
      )
      if (!times.length) return
      const wait = Math.min(...times) - Date.now() + 1000
      if (wait < 2 ** 31 - 1) refreshTimer = setTimeout(() => void reload(), Math.max(wait, 1000))
    }

    function invitationRow(item) {
      const name = [item.firstName, item.lastName].filter(Boolean).join(' ')
      const actions = el('div', { className: 'row-actions' })
      const label = item.email
      if (item.status === 'pending') {
        const until = item.resendAvailableAt && Date.parse(item.resendAvailableAt) > Date.now()
        const hintId = `resend-${item.id}`
        const resend = el('button', {
          type: 'button',
          className: 'secondary small',
          text: msg('cpResend'),
          disabled: !!until,
          'aria-describedby': until ? hintId : undefined,
          'aria-label': `${msg('cpResend')}: ${label}`,
          dataset: until
            ? { resendAt: item.resendAvailableAt, action: 'resend' }
            : { action: 'resend' },
        })
        resend.addEventListener('click', () =>
          act(resend, async () => {
            const res = await call('POST', `${api}/invitations/${item.id}/resend`)
            if (res.ok) {
              announce(msg('cpResent', { email: item.email }))
              await reload()
            }
            return res
          }),
        )
        actions.append(resend)
        if (until)
          actions.append(
            el('span', {
              className: 'resend-at',
              id: hintId,
              text: msg('cpResendAt', { time: when(item.resendAvailableAt) }),
            }),
          )
      }
      if (item.status !== 'accepted') {
        const again = el('button', {
          type: 'button',
          className: 'secondary small',
          text: msg('cpReinvite'),
          'aria-label': `${msg('cpReinvite')}: ${label}`,
          dataset: { action: 'reinvite' },
        })
        again.addEventListener('click', async () => {
          if (
            !(await confirmAction(
              msg('cpConfirmReinvite', { email: item.email }),
              msg('cpReinvite'),
              again,
            ))
          )
            return
          await act(again, async () => {
            const res = await call('POST', `${api}/invitations/${item.id}/reinvite`)
            if (res.ok) {
              announce(msg('cpReinvited', { email: item.email }))
              await reload()
            }
            return res
          })
        })
        actions.append(again)
      }
      if (item.status === 'pending') {
        const revoke = el('button', {
          type: 'button',
          className: 'danger small',
          text: msg('cpRevoke'),
          'aria-label': `${msg('cpRevoke')}: ${label}`,
          dataset: { action: 'revoke' },
        })
        revoke.addEventListener('click', async () => {
          if (
            !(await confirmAction(
              msg('cpConfirmRevoke', { email: item.email }),
              msg('cpRevoke'),
              revoke,
            ))
          )
            return
          await act(revoke, async () => {
            const res = await call('DELETE', `${api}/invitations/${item.id}`)
            if (res.ok) {
              announce(msg('cpRevoked', { email: item.email }))
              await reload()
              document.querySelector('#content')?.focus()
            }
            return res
          })
        })
        actions.append(revoke)
      }
      const status = el('td', {}, statusBadge(item))
      return [
        cell(item.email),
        cell(name),
        status,
        cell(item.status === 'pending' ? day(item.expiresAt) : ''),
        el('td', {}, actions),
      ]
    }

    // The invite dialog: the store's default groups, its apps' products, its directories.
    const dialog = document.getElementById('invite-dialog')
    const form = document.getElementById('invite-form')
    const opener = document.getElementById('invite-open')
    let prepared = false
    async function prepare() {
      if (prepared) return
      prepared = true
      const [tenant, apps, directories, roles, organizations] = await Promise.all([
        call('GET', api),
        call('GET', `${api}/apps`),
        call('GET', `${api}/directories`),
        call('GET', `${api}/roles`),
        call('GET', `${api}/organizations`),
      ])
      // The store's catalogues: an invitation picks its role and organization from them.
      const role = form.elements.namedItem('role')
      if (roles.ok) {
        const chosen = role.value
        role.replaceChildren(
          ...roles.data.roles.map((r) =>
            el('option', {
              value: r.name,
              text: r.description ? `${r.name} — ${r.description}` : r.name,
            }),
          ),
        )
        role.value = roles.data.roles.some((r) => r.name === chosen) ? chosen : 'user'
      }
      document
        .getElementById('invite-organizations')
        .replaceChildren(
          ...(organizations.data?.organizations ?? []).map((o) => el('option', { value: o.name })),
        )
      const groups = form.elements.namedItem('groups')
      if (tenant.ok && !groups.value)
        groups.value = (tenant.data.settings?.defaultGroups ?? []).join(', ')
      const products = [
        ...new Set((apps.data?.apps ?? []).map((a) => a.product).filter(Boolean)),
      ].sort()
      const box = document.getElementById('invite-products')
      box.querySelector('[data-products-empty]').hidden = products.length > 0
      products.forEach((product, i) => {
        const id = `invite-product-${i}`
        box.append(
          el(
            'div',
            { className: 'checkbox' },
            el('input', { type: 'checkbox', id, value: product, dataset: { product: '' } }),
            el('label', { for: id, text: product }),
          ),
        )
      })
      const select = form.elements.namedItem('directory')
      for (const d of directories.data?.directories ?? [])
        select.append(el('option', { value: d.id, text: `${d.name} (${d.kind.toUpperCase()})` }))
      form.dataset.ready = '1'
    }
    opener?.addEventListener('click', async () => {
      openDialog(dialog, opener)
      await prepare()
      form.elements.namedItem('emails').focus()
    })
    form.addEventListener('submit', async (event) => {
      event.preventDefault()
      clearErrors(form)
      const f = form.elements
      const list = (value) =>
        value
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      const body = {
        emails: f.namedItem('emails').value,
        role: f.namedItem('role').value || 'user',
        groups: list(f.namedItem('groups').value),
        products: [...form.querySelectorAll('[data-product]:checked')].map((c) => c.value),
      }
      const organization = f.namedItem('organization').value.trim()
      if (organization) body.organization = organization
      if (f.namedItem('locale').value) body.locale = f.namedItem('locale').value
      if (f.namedItem('directory').value) body.directory = f.namedItem('directory').value
      const submit = form.querySelector('button[type="submit"]')
      submit.disabled = true
      try {
        const res = await call('POST', `${api}/invitations`, body)
        if (!res.ok) return showErrors(form, res.data)
        showResults(res.data.results)
        await reload()
      } finally {
        submit.disabled = false
      }
    })

    function showResults(results) {
      const section = document.getElementById('invite-results')
      const ul = section.querySelector('ul')
      const invited = results.filter((r) => r.status === 'invited' || r.status === 'reinvited')
      ul.replaceChildren(
        ...results.map((r) => {
          const ok = r.status === 'invited' || r.status === 'reinvited'
          return el(
            'li',
            { dataset: { status: r.status } },
            el('span', {
              className: `badge badge-${ok ? 'ok' : r.status === 'invalid' ? 'red' : 'expired'}`,
              text: msg(`cpResult_${r.status}`),
            }),
            ' ',
            el('span', {
              className: 'result-email',
              text: r.email || (r.line ? `#${r.line}` : ''),
            }),
            r.reason ? el('span', { className: 'result-reason', text: ` — ${r.reason}` }) : null,
          )
        }),
      )
      document.getElementById('invite-counts').textContent = msg('cpResultCounts', {
        invited: String(invited.length),
        skipped: String(results.length - invited.length),
      })
      section.hidden = false
      section.focus()
      if (invited.length) form.elements.namedItem('emails').value = ''
    }

    void reload()
  }

  // ---- Apps ----------------------------------------------------------------------------------

  PAGES.apps = function (root) {
    const api = root.dataset.api
    const secretDialog = document.getElementById('secret-dialog')
    function showSecret(app, opener) {
      secretDialog.querySelector('#secret-title').textContent = msg('cpSecretTitle', {
        name: app.name,
      })
      secretDialog.querySelector('#secret-client').textContent = app.clientId
      const input = secretDialog.querySelector('#secret-value')
      input.value = app.clientSecret
      openDialog(secretDialog, opener)
      input.focus()
      input.select()
    }
    // The secret is never kept: it leaves the page with the dialog.
    secretDialog.addEventListener('close', () => {
      secretDialog.querySelector('#secret-value').value = ''
    })

    const load = pagedList(
      'apps',
      async () => {
        const res = await call('GET', `${api}/apps`)
        return { ...res, items: res.data?.apps ?? [], nextCursor: null }
      },
      (app) => {
        const actions = el('div', { className: 'row-actions' })
        if (!app.public && app.type !== undefined) {
          const rotate = el('button', {
            type: 'button',
            className: 'secondary small',
            text: msg('cpRotate'),
            'aria-label': `${msg('cpRotate')}: ${app.name}`,
            dataset: { action: 'rotate' },
          })
          rotate.addEventListener('click', async () => {
            if (
              !(await confirmAction(
                msg('cpConfirmRotate', { name: app.name }),
                msg('cpRotate'),
                rotate,
              ))
            )
              return
            await act(rotate, async () => {
              const res = await call(
                'POST',
                `${api}/apps/${encodeURIComponent(app.clientId)}/secret`,
              )
              if (res.ok) showSecret({ ...res.data, name: app.name }, rotate)
              return res
            })
          })
          actions.append(rotate)
        }
        const remove = el('button', {
          type: 'button',
          className: 'danger small',
          text: msg('cpDelete'),
          'aria-label': `${msg('cpDelete')}: ${app.name}`,
          dataset: { action: 'delete' },
        })
        remove.addEventListener('click', async () => {
          if (
            !(await confirmAction(
              msg('cpConfirmDelete', { name: app.name }),
              msg('cpDelete'),
              remove,
            ))
          )
            return
          await act(remove, async () => {
            const res = await call('DELETE', `${api}/apps/${encodeURIComponent(app.clientId)}`)
            if (res.ok) {
              announce(msg('cpDeleted', { name: app.name }))
              await load(true)
              document.querySelector('#content')?.focus()
            }
            return res
          })
        })
        actions.append(remove)
        const type = msg(`cpType_${app.type}`) + (app.public ? ` (${msg('cpPublicApp')})` : '')
        const uris = el('td', { className: 'uris' })
        for (const uri of app.redirectUris) uris.append(el('code', { text: uri }), el('br'))
        return [
          cell(app.name),
          cell(type),
          el('td', {}, el('code', { text: app.clientId })),
          uris,
          el('td', {}, actions),
        ]
      },
    )
    const form = document.getElementById('app-form')
    // The admin API is a machine's right only; a person signs in to the console.
    const machineOnly = form.querySelector('[data-machine-only]')
    const showMachineOnly = () =>
      (machineOnly.hidden = form.elements.namedItem('type').value !== 'machine')
    form.elements.namedItem('type').addEventListener('change', showMachineOnly)
    form.addEventListener('reset', () => setTimeout(showMachineOnly))
    showMachineOnly()
    form.addEventListener('submit', async (event) => {
      event.preventDefault()
      clearErrors(form)
      const f = form.elements
      const type = f.namedItem('type').value
      const body = {
        name: f.namedItem('name').value,
        type,
        redirectUris:
          type === 'machine' ? [] : f.namedItem('redirectUris').value.split(/\s+/).filter(Boolean),
      }
      const product = f.namedItem('product').value.trim()
      if (product) body.product = product
      const launchUrl = f.namedItem('launchUrl').value.trim()
      if (launchUrl && type !== 'machine') body.launchUrl = launchUrl
      if (type === 'machine' && f.namedItem('adminApi').checked) body.adminApi = true
      const submit = form.querySelector('button[type="submit"]')
      submit.disabled = true
      try {
        const res = await call('POST', `${api}/apps`, body)
        if (!res.ok) return showErrors(form, res.data)
        form.reset()
        announce(msg('cpRegistered', { name: res.data.name }))
        await load(true)
        if (res.data.clientSecret) showSecret(res.data, submit)
      } finally {
        submit.disabled = false
      }
    })
    void load(true)
  }

  // ---- Email templates -----------------------------------------------------------------------

  PAGES.templates = function (root) {
    const api = root.dataset.api
    const pick = document.getElementById('template-pick')
    const form = document.getElementById('template-form')
    const frame = document.getElementById('preview-frame')
    const say = stateOf('preview')
    const path = () =>
      `${api}/email-templates/${pick.elements.namedItem('name').value}/${pick.elements.namedItem('locale').value}`
    const draft = () => ({
      subject: form.elements.namedItem('subject').value,
      text: form.elements.namedItem('text').value,
      html: form.elements.namedItem('html').value,
    })

    function placeholders() {
      const option = pick.elements.namedItem('name').selectedOptions[0]
      const span = document.getElementById('template-placeholders')
      span.replaceChildren(
        ...(option?.dataset.placeholders ?? '')
          .split(' ')
          .filter(Boolean)
          .flatMap((name, i) => [i ? ' ' : '', el('code', { text: `{{${name}}}` })]),
      )
    }

    async function open() {
      clearErrors(form)
      placeholders()
      const res = await call('GET', path())
      if (!res.ok) return say(msg('cpFailed', { message: res.data?.message ?? '' }))
      for (const name of ['subject', 'text', 'html'])
        form.elements.namedItem(name).value = res.data[name]
      await preview()
    }

    // The HTML goes into a sandboxed frame without scripts. The page's CSP (no inline style)
    // reaches the frame too, so the mail's style attributes and <style> sheets are moved out
    // of the markup and applied through the CSSOM, which the CSP allows.
    function showHtml(markup) {
      // Renamed before parsing: even an inert parsed document reports each style attribute
      // to the CSP. Style sheets become textareas (raw text), style attributes data-gw-style.
      const inert = markup
        .replace(/<style\b[^>]*>/gi, '<textarea data-gw-sheet>')
        .replace(/<\/style\s*>/gi, '</textarea>')
        .replace(/(<[a-z][^>]*?\s)style(\s*=)/gi, '$1data-gw-style$2')
      const doc = new DOMParser().parseFromString(inert, 'text/html')
      const sheets = [...doc.querySelectorAll('textarea[data-gw-sheet]')].map((t) => {
        t.remove()
        return t.value
      })
      for (const node of doc.querySelectorAll('script, link, meta[http-equiv], base, [style]'))
        node.remove()
      frame.addEventListener(
        'load',
        () => {
          const inner = frame.contentDocument
          if (!inner) return
          for (const n of inner.querySelectorAll('[data-gw-style]'))
            n.style.cssText = n.getAttribute('data-gw-style') ?? ''
          try {
            const sheet = new frame.contentWindow.CSSStyleSheet()
            sheet.replaceSync(sheets.join('\n'))
            inner.adoptedStyleSheets = [sheet]
          } catch {
            // A sheet the browser cannot parse leaves the inline styles alone.
          }
          frame.dataset.rendered = String(Date.now())
        },
        { once: true },
      )
      frame.srcdoc = `<!doctype html>${doc.documentElement.outerHTML}`
    }

    let seq = 0
    async function preview() {
      const mine = ++seq
      const res = await call('POST', `${path()}/preview`, { draft: draft() })
      if (mine !== seq) return
      if (!res.ok) return say(msg('cpFailed', { message: res.data?.message ?? '' }))
      say('')
      document.getElementById('preview-subject').textContent = res.data.subject
      document.getElementById('preview-text').textContent = res.data.text
      showHtml(res.data.html)
    }

    let typing
    form.addEventListener('input', () => {
      clearTimeout(typing)
      typing = setTimeout(() => void preview(), 300)
    })
    pick.addEventListener('change', () => void open())
    form.addEventListener('submit', async (event) => {
      event.preventDefault()
      clearErrors(form)
      const res = await call('PUT', path(), draft())
      if (!res.ok) return showErrors(form, res.data)
      announce(msg('cpSaved'))
    })
    const reset = document.getElementById('template-reset')
    reset.addEventListener('click', async () => {
      if (!(await confirmAction(msg('cpConfirmReset'), reset.textContent, reset))) return
      await act(reset, async () => {
        const res = await call('DELETE', path())
        if (res.ok) await open()
        return res
      })
    })
    void open()
  }

  // ---- Terms ---------------------------------------------------------------------------------

  PAGES.terms = function (root) {
    const api = root.dataset.api
    const load = pagedList(
      'terms',
      async () => {
        const res = await call('GET', `${api}/terms/versions`)
        return { ...res, items: res.data?.versions ?? [], nextCursor: null }
      },
      (v) => {
        const title = el('td')
        if (v.documentUrl)
          title.append(el('a', { href: v.documentUrl, text: v.title, rel: 'noreferrer noopener' }))
        else title.textContent = v.title
        return [cell(String(v.version)), title, cell(when(v.publishedAt)), acceptancesCell(v)]
      },
    )

    // The count, and for a version someone accepted a "Who accepted" disclosure whose list is
    // loaded when first opened (GET …/terms/versions/{version}/acceptances), a page at a time.
    function acceptancesCell(v) {
      const td = cell(msg('cpPeople', { count: String(v.acceptances) }))
      if (!v.acceptances) return td
      const list = el('ul', { className: 'who-accepted-list' })
      const status = el('p', { className: 'console-state', role: 'status' })
      const more = el('button', { type: 'button', text: msg('cpLoadMore'), hidden: true })
      const details = el(
        'details',
        { className: 'who-accepted', dataset: { acceptancesOf: String(v.version) } },
        el('summary', { text: msg('cpWhoAccepted') }),
        status,
        list,
        more,
      )
      let cursor = null
      let started = false
      async function page() {
        status.textContent = msg('listLoading')
        more.disabled = true
        const q = new URLSearchParams({ limit: '50' })
        if (cursor) q.set('cursor', cursor)
        const res = await call('GET', `${api}/terms/versions/${v.version}/acceptances?${q}`)
        more.disabled = false
        if (!res.ok) {
          status.textContent = msg('listFailed')
          return
        }
        list.append(
          ...res.data.items.map((a) =>
            el(
              'li',
              {},
              el('span', { text: a.name ? `${a.name} <${a.email}>` : a.email }),
              ' ',
              el('time', { datetime: a.acceptedAt, text: when(a.acceptedAt) }),
            ),
          ),
        )
        cursor = res.data.nextCursor
        more.hidden = !cursor
        status.textContent = ''
        details.dataset.loaded = String(list.children.length)
      }
      details.addEventListener('toggle', () => {
        if (!details.open || started) return
        started = true
        void page()
      })
      more.addEventListener('click', () => void page())
      td.append(' ', details)
      return td
    }
    const form = document.getElementById('terms-form')
    form.addEventListener('submit', async (event) => {
      event.preventDefault()
      clearErrors(form)
      const f = form.elements
      const body = { title: f.namedItem('title').value }
      if (f.namedItem('text').value.trim()) body.text = f.namedItem('text').value
      if (f.namedItem('documentUrl').value.trim())
        body.documentUrl = f.namedItem('documentUrl').value.trim()
      const submit = form.querySelector('button[type="submit"]')
      if (
        !(await confirmAction(
          msg('cpConfirmPublish', { title: body.title }),
          submit.textContent,
          submit,
        ))
      )
        return
      submit.disabled = true
      try {
        const res = await call('PUT', `${api}/terms`, body)
        if (!res.ok) return showErrors(form, res.data)
        form.reset()
        announce(msg('cpTermsPublished', { version: String(res.data.version) }))
        await load(true)
      } finally {
        submit.disabled = false
      }
    })
    void load(true)
  }

  // ---- Settings ------------------------------------------------------------------------------

  PAGES.settings = function (form) {
    const api = form.dataset.api
    const say = stateOf('settings')
    let current = null
    const get = (obj, path) => path.split('.').reduce((o, k) => (o == null ? o : o[k]), obj)
    const inputs = () => [...form.querySelectorAll('[name]')]

    function fill(settings) {
      current = settings
      for (const input of inputs()) {
        const value = get(settings, input.name)
        if (input.type === 'checkbox') input.checked = !!value
        else if (Array.isArray(value)) input.value = value.join(', ')
        else if (typeof value === 'string' || typeof value === 'number') input.value = String(value)
        else if (input.name.startsWith('passwordPolicy.')) input.value = ''
      }
    }

    function valueOf(input) {
      if (input.type === 'checkbox') return input.checked
      if (input.type === 'number') return input.value === '' ? null : Number(input.value)
      if (input.name === 'defaultGroups')
        return input.value
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      return input.value.trim()
    }

    /** Only what changed; token settings travel whole (the API takes them as one object). */
    function patch() {
      const out = {}
      for (const input of inputs()) {
        const value = valueOf(input)
        if (JSON.stringify(value) === JSON.stringify(get(current, input.name))) continue
        const [head, tail] = input.name.split('.')
        if (!tail) out[head] = value
        else if (head === 'tokens') out.tokens = { ...current.tokens, ...out.tokens, [tail]: value }
        else out[head] = { ...out[head], [tail]: value }
      }
      return out
    }

    form.addEventListener('submit', async (event) => {
      event.preventDefault()
      clearErrors(form)
      const body = patch()
      if (!Object.keys(body).length) return announce(msg('cpSaved'))
      const submit = form.querySelector('button[type="submit"]')
      submit.disabled = true
      try {
        const res = await call('PATCH', `${api}/settings`, body)
        if (!res.ok) return showErrors(form, res.data)
        fill(res.data)
        announce(msg('cpSaved'))
      } finally {
        submit.disabled = false
      }
    })

    void (async () => {
      say(msg('listLoading'))
      const res = await call('GET', api)
      if (!res.ok) return say(msg('listFailed'))
      fill(res.data.settings)
      say('')
      form.dataset.loaded = 'true'
    })()
  }

  // ---- Audit log -----------------------------------------------------------------------------

  PAGES.audit = function (root) {
    const api = root.dataset.api
    const form = document.getElementById('audit-filters')
    function filters() {
      const q = new URLSearchParams({ limit: '50' })
      for (const name of ['actor', 'subject', 'action']) {
        const value = form.elements.namedItem(name).value.trim()
        if (value) q.set(name, value)
      }
      for (const name of ['since', 'until']) {
        const value = form.elements.namedItem(name).value
        if (value) q.set(name, new Date(value).toISOString())
      }
      return q
    }
    const load = pagedList(
      'audit',
      async (cursor) => {
        const q = filters()
        if (cursor) q.set('cursor', cursor)
        const res = await call('GET', `${api}/audit?${q}`)
        if (!res.ok) showErrors(form, res.data)
        return { ...res, items: res.data?.events ?? [], nextCursor: res.data?.nextCursor }
      },
      (e) => {
        const who = el('td')
        const name = e.actor.name ?? e.actor.kind
        if (e.actor.id) {
          const b = el('button', {
            type: 'button',
            className: 'link',
            text: name,
            title: `${e.actor.kind} ${e.actor.id}`,
            'aria-label': msg('cpActorFilter', { name }),
          })
          b.addEventListener('click', () => {
            form.elements.namedItem('actor').value = e.actor.id
            clearErrors(form)
            void load(true)
          })
          who.append(b)
        } else who.textContent = name
        // The subject filters the log too: by its email address when it has one, else its id.
        const about = el('td')
        if (e.subject) {
          const text = `${e.subject.label ?? e.subject.id} (${e.subject.kind})`
          const value = e.subject.label?.includes('@') ? e.subject.label : e.subject.id
          if (value) {
            const b = el('button', {
              type: 'button',
              className: 'link',
              text,
              'aria-label': msg('cpSubjectFilter', { name: e.subject.label ?? e.subject.id }),
            })
            b.addEventListener('click', () => {
              form.elements.namedItem('subject').value = value
              clearErrors(form)
              void load(true)
            })
            about.append(b)
          } else about.textContent = text
        }
        return [
          el('td', {}, el('time', { datetime: e.at, text: when(e.at) })),
          who,
          el('td', {}, el('code', { text: e.action })),
          about,
          cell(e.ip ?? ''),
        ]
      },
    )
    form.addEventListener('submit', (event) => {
      event.preventDefault()
      clearErrors(form)
      void load(true)
    })
    void load(true)
  }

  // ---- Import (issue 12) ----------------------------------------------------------------------

  PAGES.imports = function (root) {
    const api = root.dataset.api
    const form = document.getElementById('import-form')
    const input = document.getElementById('import-file')
    const drop = document.getElementById('import-drop')
    const progress = document.getElementById('import-progress')
    const status = document.getElementById('import-status')
    const bar = document.getElementById('import-bar')
    const counts = document.getElementById('import-counts')
    const report = document.getElementById('import-report')
    const stateText = (job) =>
      msg('imProgress', {
        state: msg(`imState_${job.state}`),
        done: job.rows.done.toLocaleString(lang),
        total: job.rows.total.toLocaleString(lang),
      })
    const countText = (job) =>
      Object.entries(job.counts ?? {})
        .map(([outcome, n]) => `${n.toLocaleString(lang)} ${msg(`imOutcome_${outcome}`)}`)
        .join(', ')

    const load = pagedList(
      'imports',
      async () => {
        const res = await call('GET', `${api}/imports`)
        return { ...res, items: res.data?.items ?? [], nextCursor: null }
      },
      (job) => {
        const actions = el('td')
        if (job.state === 'done' || job.state === 'failed')
          actions.append(
            el('button', {
              type: 'button',
              className: 'secondary small',
              text: msg('imReport'),
              'aria-label': `${msg('imReport')}: ${job.fileName ?? job.id}`,
              'data-download': job.links.report,
            }),
          )
        return [
          cell(job.fileName ?? '—'),
          cell(msg(`imState_${job.state}`)),
          cell(`${job.rows.done.toLocaleString(lang)} / ${job.rows.total.toLocaleString(lang)}`),
          el('td', {}, el('time', { datetime: job.createdAt, text: when(job.createdAt) })),
          actions,
        ]
      },
    )

    // Followed until it ends: the bar, the counts by outcome, then the report.
    async function follow(self) {
      for (;;) {
        const res = await call('GET', self)
        if (!res.ok) {
          status.textContent = res.data?.message ?? msg('listFailed')
          return
        }
        const job = res.data
        status.textContent = stateText(job)
        bar.max = Math.max(job.rows.total, 1)
        bar.value = job.rows.done
        counts.textContent = countText(job)
        if (job.state === 'done' || job.state === 'failed') {
          report.dataset.download = job.links.report
          report.hidden = false
          progress.dataset.state = job.state
          await load(true)
          return
        }
        await new Promise((r) => setTimeout(r, 1000))
      }
    }

    async function send(file) {
      clearErrors(form)
      progress.hidden = false
      report.hidden = true
      delete progress.dataset.state
      counts.textContent = ''
      bar.removeAttribute('value')
      status.textContent = msg('imUploading')
      const submit = form.querySelector('button[type="submit"]')
      submit.disabled = true
      try {
        const res = await fetch(`${api}/imports`, {
          method: 'POST',
          credentials: 'same-origin',
          headers: {
            Accept: 'application/json',
            'Content-Type': 'text/csv',
            'X-CSRF-Token': token,
            'X-File-Name': encodeURIComponent(file.name),
          },
          body: file,
        })
        const data = await res.json().catch(() => ({ message: `HTTP ${res.status}` }))
        if (!res.ok) {
          progress.hidden = true
          return showErrors(form, data)
        }
        await follow(data.links.self)
      } finally {
        submit.disabled = false
      }
    }
    form.addEventListener('submit', (event) => {
      event.preventDefault()
      const file = input.files?.[0]
      if (!file)
        return showErrors(form, {
          message: msg('imFile'),
          details: { fields: { file: [msg('imDropHint')] } },
        })
      void send(file)
    })
    // Dropped on the tile: the same as picking it.
    for (const name of ['dragenter', 'dragover'])
      drop.addEventListener(name, (event) => {
        event.preventDefault()
        drop.classList.add('dragging')
      })
    drop.addEventListener('dragleave', () => drop.classList.remove('dragging'))
    drop.addEventListener('drop', (event) => {
      event.preventDefault()
      drop.classList.remove('dragging')
      const file = event.dataTransfer?.files?.[0]
      if (file) void send(file)
    })
    void load(true)
  }

  // ---- Tenants (platform console) ------------------------------------------------------------

  PAGES.tenants = function (table) {
    const say = stateOf('tenants')
    void (async () => {
      say(msg('listLoading'))
      const res = await call('GET', table.dataset.source)
      if (!res.ok) {
        table.dataset.loaded = 'failed'
        return say(msg('listFailed'))
      }
      const items = res.data.items
      table.tBodies[0].replaceChildren(
        ...items.map((item) => {
          const link = el('a', { href: `${item.publicUrl}/admin`, text: item.publicUrl })
          return el('tr', {}, cell(item.name), cell(item.slug), el('td', {}, link))
        }),
      )
      say(items.length === 0 ? msg('listEmpty') : '')
      table.dataset.loaded = String(items.length)
    })()
  }

  function start() {
    for (const root of document.querySelectorAll('[data-page]')) PAGES[root.dataset.page]?.(root)
    const tenants = document.querySelector('table[data-list="tenants"]')
    if (tenants) PAGES.tenants(tenants)
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start)
  else start()
})()
