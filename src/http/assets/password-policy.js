// Live checklist for the activation and reset forms. A file, not inline code, because the CSP
// forbids inline script. It only marks the list: it never blocks submission, since the server
// checks the password again (src/identity/password-policy.ts) and is the one that decides.
;(function () {
  'use strict'

  // Verbatim copies of CLASS_PATTERNS in src/identity/password-policy.ts: letters and digits
  // are Unicode categories, a symbol is anything else (spaces and punctuation included).
  const CLASS_PATTERNS = {
    lower: /\p{Ll}/u,
    upper: /\p{Lu}/u,
    digit: /\p{Nd}/u,
    symbol: /[^\p{L}\p{N}]/u,
    digit_or_symbol: /\p{Nd}|[^\p{L}\p{N}]/u,
  }

  // Screen readers hear one short summary once typing pauses, not a change per keystroke.
  const SUMMARY = {
    en: { pending: 'Still needed:', done: 'The password meets every requirement.' },
    fr: { pending: 'Encore requis :', done: 'Le mot de passe remplit toutes les exigences.' },
    nl: { pending: 'Nog nodig:', done: 'Het wachtwoord voldoet aan alle eisen.' },
    de: { pending: 'Noch erforderlich:', done: 'Das Passwort erfüllt alle Anforderungen.' },
  }
  const ANNOUNCE_AFTER_MS = 800

  /** Which checklist items hold: the rules a browser can check without the server. */
  function evaluate(policy, password, confirmation) {
    const normalized = password.normalize('NFKC')
    const length = Array.from(normalized).length
    const met = {
      too_short: length >= policy.minLength,
      too_long: length <= policy.maxLength,
      match: confirmation.length > 0 && confirmation.normalize('NFKC') === normalized,
    }
    for (const name of policy.requiredClasses || []) {
      if (CLASS_PATTERNS[name]) met['missing_' + name] = CLASS_PATTERNS[name].test(normalized)
    }
    return met
  }

  function liveRegion(list) {
    const region = document.createElement('p')
    region.setAttribute('role', 'status')
    region.setAttribute('aria-live', 'polite')
    // Visually hidden but read aloud; set through CSSOM, which the CSP allows.
    Object.assign(region.style, {
      position: 'absolute',
      width: '1px',
      height: '1px',
      overflow: 'hidden',
      clipPath: 'inset(50%)',
      whiteSpace: 'nowrap',
    })
    list.insertAdjacentElement('afterend', region)
    return region
  }

  function attach(form) {
    let policy
    try {
      policy = JSON.parse(form.getAttribute('data-password-policy'))
    } catch {
      return
    }
    const password = form.querySelector('#password')
    const confirmation = form.querySelector('#password-confirm')
    const list = form.querySelector('#password-rules')
    if (!policy || !password || !list) return
    const items = Array.from(list.querySelectorAll('li[data-rule]'))
    const lang = (document.documentElement.lang || 'en').slice(0, 2).toLowerCase()
    const words = SUMMARY[lang] || SUMMARY.en
    const region = liveRegion(list)
    let timer

    function update(announce) {
      const met = evaluate(policy, password.value, confirmation ? confirmation.value : '')
      const pending = []
      for (const item of items) {
        const rule = item.getAttribute('data-rule')
        if (!Object.hasOwn(met, rule)) continue // server-only rules: blocklist, email, names
        item.setAttribute('data-met', String(met[rule]))
        if (!met[rule]) pending.push(item.textContent.trim())
      }
      if (!announce) return
      clearTimeout(timer)
      timer = setTimeout(() => {
        region.textContent = pending.length
          ? words.pending + ' ' + pending.join('; ') + '.'
          : words.done
      }, ANNOUNCE_AFTER_MS)
    }

    form.addEventListener('input', (event) => {
      if (event.target === password || event.target === confirmation) update(true)
    })
    update(false)
  }

  function start() {
    document.querySelectorAll('form[data-password-policy]').forEach(attach)
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start)
  else start()
})()
