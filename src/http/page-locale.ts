import type { Request, Response } from 'express'
import { pickLocale } from '../lib/i18n.js'
import type { Locale } from '../lib/locales.js'

/**
 * The page's language: the invitation's (given first), the user's, `?lang=`, Accept-Language,
 * then the store's default.
 */
export function pageLocale(req: Request, res: Response, ...first: (string | null)[]): Locale {
  const lang = typeof req.query.lang === 'string' ? req.query.lang : undefined
  return pickLocale(
    [...first, res.locals.session?.locale, lang, ...acceptedLanguages(req.get('accept-language'))],
    res.locals.tenant.settings.defaultLocale,
  )
}

/** Accept-Language tags, most preferred first (RFC 9110 §12.5.4); q=0 means "not this one". */
export function acceptedLanguages(header: string | undefined): string[] {
  if (!header) return []
  return header
    .split(',')
    .slice(0, 20)
    .map((part, index) => {
      const [tag = '', ...params] = part.trim().split(';')
      const q = params.map((p) => /^\s*q=([\d.]+)\s*$/.exec(p)?.[1]).find(Boolean)
      return { tag: tag.trim(), q: q === undefined ? 1 : Number(q), index }
    })
    .filter((l) => l.tag && l.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index)
    .map((l) => l.tag)
}
