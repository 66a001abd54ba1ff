import * as z from 'zod'

// The languages of pages and mails. Here, not in tenant settings, because i18n, mail
// templates and settings all need them and lib/ depends on no feature.
export const LOCALES = ['en', 'fr', 'nl', 'de'] as const
export const Locale = z.enum(LOCALES)
export type Locale = z.infer<typeof Locale>
