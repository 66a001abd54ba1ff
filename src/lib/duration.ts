import * as z from 'zod'

// Durations in settings are written the way people say them ("7d", "24h", "90m"), never as
// bare numbers whose unit a reader has to guess.
const UNIT_SECONDS = { s: 1, m: 60, h: 3_600, d: 86_400, w: 604_800 } as const

const DURATION = /^[1-9]\d{0,5}[smhdw]$/

export const Duration = z.string().regex(DURATION, 'a duration such as "90m", "24h", "7d" or "2w"')

export type Duration = z.infer<typeof Duration>

/**
 * A duration setting with a ceiling: past it a value is a typo or an attack on the tenant's own
 * security (a token living for years), and `999999w` would even overflow a JavaScript Date.
 */
export const DurationAtMost = (max: Duration) =>
  Duration.refine(
    // A malformed value already has its one message from the pattern.
    (d) => !DURATION.test(d) || durationSeconds(d) <= durationSeconds(max),
    `at most ${max}`,
  )

export function durationSeconds(duration: Duration): number {
  const unit = duration.slice(-1) as keyof typeof UNIT_SECONDS
  return Number(duration.slice(0, -1)) * UNIT_SECONDS[unit]
}

export const durationMs = (duration: Duration): number => durationSeconds(duration) * 1000
