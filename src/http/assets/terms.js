// Enables the Terms "Submit" button once the document link was followed. A file, not inline
// code, because the CSP forbids inline script. It is a convenience only: without JavaScript the
// page is reloaded after opening the document, and the server refuses an acceptance unless the
// signed cookie set by /terms/document says this version was opened.
;(function () {
  'use strict'

  function start() {
    const link = document.getElementById('terms-document')
    const button = document.getElementById('terms-submit')
    if (!link || !button) return
    function unlock() {
      button.disabled = false
      button.removeAttribute('aria-describedby')
      const hint = document.getElementById('terms-hint')
      if (hint) hint.hidden = true
    }
    link.addEventListener('click', unlock)
    // A middle click opens the document in a new tab too.
    link.addEventListener('auxclick', unlock)
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start)
  else start()
})()
