// Console downloads (issue 12: CSV exports, import reports). The admin API asks a session for
// its X-CSRF-Token header on every call, GET included, which a plain link cannot send: a
// button[data-download="members/export"] (under the page's data-api) fetches the file with the header and saves it under the
// name the API gives (Content-Disposition). data-download-form="ID" adds that form's filled
// fields as query parameters (the list's filters). A file, not inline code: the CSP forbids it.
;(function () {
  'use strict'
  const token = document.querySelector('meta[name="csrf-token"]')?.getAttribute('content') ?? ''

  async function download(button) {
    // A path without a leading slash is under the page's API root (its data-api).
    const path = button.dataset.download
    const api = button.closest('[data-api]')?.dataset.api ?? ''
    const url = new URL(path.startsWith('/') ? path : `${api}/${path}`, location.origin)
    const form = button.dataset.downloadForm && document.getElementById(button.dataset.downloadForm)
    if (form)
      for (const [name, value] of new FormData(form))
        if (typeof value === 'string' && value.trim() && name !== 'sort' && name !== 'q')
          url.searchParams.set(name, value.trim())
    const status = button.parentElement.querySelector('[data-download-status]')
    button.disabled = true
    if (status) status.textContent = ''
    try {
      const res = await fetch(url, {
        credentials: 'same-origin',
        headers: { 'X-CSRF-Token': token, Accept: 'text/csv, application/json' },
      })
      if (!res.ok) {
        const body = await res.json().catch(() => null)
        throw new Error(body?.message ?? `${res.status}`)
      }
      const name =
        /filename="?([^";]+)"?/.exec(res.headers.get('Content-Disposition') ?? '')?.[1] ??
        'export.csv'
      const link = document.createElement('a')
      link.href = URL.createObjectURL(await res.blob())
      link.download = name
      document.body.append(link)
      link.click()
      link.remove()
      setTimeout(() => URL.revokeObjectURL(link.href), 10_000)
    } catch (err) {
      if (status) status.textContent = err.message
    } finally {
      button.disabled = false
    }
  }

  document.addEventListener('click', (event) => {
    const button = event.target instanceof Element && event.target.closest('button[data-download]')
    if (button) void download(button)
  })
})()
