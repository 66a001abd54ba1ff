import type { Locale } from '../lib/locales.js'
import type { PasswordProblem, PasswordRule } from './password-policy.js'

// Plain text with {param} slots filled from the problem's params; pages escape the result.
type Texts = Record<PasswordRule, string>

// What the checklist shows before anything is typed: each rule as a requirement.
const LABELS = {
  en: {
    too_short: 'At least {min} characters',
    too_long: 'At most {max} characters',
    missing_lower: 'A lowercase letter',
    missing_upper: 'An uppercase letter',
    missing_digit: 'A digit',
    missing_symbol: 'A symbol, such as ! or a space',
    missing_digit_or_symbol: 'A digit or a symbol',
    common: 'Not a commonly used password',
    contains_email: 'Not your email address',
    contains_name: 'Not your name or the name of this site',
  },
  fr: {
    too_short: 'Au moins {min} caractères',
    too_long: 'Au plus {max} caractères',
    missing_lower: 'Une lettre minuscule',
    missing_upper: 'Une lettre majuscule',
    missing_digit: 'Un chiffre',
    missing_symbol: 'Un symbole, comme ! ou un espace',
    missing_digit_or_symbol: 'Un chiffre ou un symbole',
    common: 'Pas un mot de passe courant',
    contains_email: 'Pas votre adresse e-mail',
    contains_name: 'Ni votre nom ni celui de ce site',
  },
  nl: {
    too_short: 'Minimaal {min} tekens',
    too_long: 'Maximaal {max} tekens',
    missing_lower: 'Een kleine letter',
    missing_upper: 'Een hoofdletter',
    missing_digit: 'Een cijfer',
    missing_symbol: 'Een symbool, zoals ! of een spatie',
    missing_digit_or_symbol: 'Een cijfer of een symbool',
    common: 'Geen veelgebruikt wachtwoord',
    contains_email: 'Niet je e-mailadres',
    contains_name: 'Niet je naam of de naam van deze site',
  },
  de: {
    too_short: 'Mindestens {min} Zeichen',
    too_long: 'Höchstens {max} Zeichen',
    missing_lower: 'Ein Kleinbuchstabe',
    missing_upper: 'Ein Großbuchstabe',
    missing_digit: 'Eine Ziffer',
    missing_symbol: 'Ein Sonderzeichen, z. B. ! oder ein Leerzeichen',
    missing_digit_or_symbol: 'Eine Ziffer oder ein Sonderzeichen',
    common: 'Kein häufig verwendetes Passwort',
    contains_email: 'Nicht Ihre E-Mail-Adresse',
    contains_name: 'Weder Ihr Name noch der Name dieser Website',
  },
} as const satisfies Record<Locale, Texts>

// Why a submitted password was refused: each rule as something to do.
const PROBLEMS = {
  en: {
    too_short: 'Use at least {min} characters.',
    too_long: 'Use at most {max} characters.',
    missing_lower: 'Add a lowercase letter.',
    missing_upper: 'Add an uppercase letter.',
    missing_digit: 'Add a digit.',
    missing_symbol: 'Add a symbol, such as ! or a space.',
    missing_digit_or_symbol: 'Add a digit or a symbol.',
    common: 'Choose a less common password that is harder to guess.',
    contains_email: 'Do not use your email address in your password.',
    contains_name: 'Do not use your name or the name of this site in your password.',
  },
  fr: {
    too_short: 'Utilisez au moins {min} caractères.',
    too_long: 'Utilisez au plus {max} caractères.',
    missing_lower: 'Ajoutez une lettre minuscule.',
    missing_upper: 'Ajoutez une lettre majuscule.',
    missing_digit: 'Ajoutez un chiffre.',
    missing_symbol: 'Ajoutez un symbole, comme ! ou un espace.',
    missing_digit_or_symbol: 'Ajoutez un chiffre ou un symbole.',
    common: 'Choisissez un mot de passe moins courant, plus difficile à deviner.',
    contains_email: 'N’utilisez pas votre adresse e-mail dans votre mot de passe.',
    contains_name: 'N’utilisez ni votre nom ni celui de ce site dans votre mot de passe.',
  },
  nl: {
    too_short: 'Gebruik minimaal {min} tekens.',
    too_long: 'Gebruik maximaal {max} tekens.',
    missing_lower: 'Voeg een kleine letter toe.',
    missing_upper: 'Voeg een hoofdletter toe.',
    missing_digit: 'Voeg een cijfer toe.',
    missing_symbol: 'Voeg een symbool toe, zoals ! of een spatie.',
    missing_digit_or_symbol: 'Voeg een cijfer of een symbool toe.',
    common: 'Kies een minder gangbaar wachtwoord dat moeilijker te raden is.',
    contains_email: 'Gebruik je e-mailadres niet in je wachtwoord.',
    contains_name: 'Gebruik je naam of de naam van deze site niet in je wachtwoord.',
  },
  de: {
    too_short: 'Verwenden Sie mindestens {min} Zeichen.',
    too_long: 'Verwenden Sie höchstens {max} Zeichen.',
    missing_lower: 'Fügen Sie einen Kleinbuchstaben hinzu.',
    missing_upper: 'Fügen Sie einen Großbuchstaben hinzu.',
    missing_digit: 'Fügen Sie eine Ziffer hinzu.',
    missing_symbol: 'Fügen Sie ein Sonderzeichen hinzu, z. B. ! oder ein Leerzeichen.',
    missing_digit_or_symbol: 'Fügen Sie eine Ziffer oder ein Sonderzeichen hinzu.',
    common: 'Wählen Sie ein weniger gebräuchliches Passwort, das schwerer zu erraten ist.',
    contains_email: 'Verwenden Sie Ihre E-Mail-Adresse nicht im Passwort.',
    contains_name: 'Verwenden Sie weder Ihren Namen noch den Namen dieser Website im Passwort.',
  },
} as const satisfies Record<Locale, Texts>

// The confirmation field is a form rule, not a policy rule, but it sits in the same checklist.
const MATCH = {
  en: 'Both passwords match',
  fr: 'Les deux mots de passe sont identiques',
  nl: 'Beide wachtwoorden zijn gelijk',
  de: 'Beide Passwörter stimmen überein',
} as const satisfies Record<Locale, string>

const fill = (text: string, params: PasswordProblem['params']): string =>
  text.replace(/\{(\w+)\}/g, (_, key: string) => String(params?.[key] ?? ''))

/** A rule as shown in the checklist, e.g. "At least 10 characters". */
export const ruleLabel = (rule: PasswordProblem, locale: Locale): string =>
  fill(LABELS[locale][rule.code], rule.params)

/** Why a password was refused, e.g. "Use at least 10 characters.". */
export const problemMessage = (problem: PasswordProblem, locale: Locale): string =>
  fill(PROBLEMS[locale][problem.code], problem.params)

/** The label of the checklist's `data-rule="match"` item. */
export const matchLabel = (locale: Locale): string => MATCH[locale]
