import type { Db } from '../db/database.js'
import type { Log } from '../log.js'
import { type MailKeys, newMailForLog } from '../mail/outbox.js'

/**
 * Without SMTP_URL (never in production) each new mail's link is logged once, so a first-time
 * user can click it from the terminal.
 *
 * PostgreSQL keeps microseconds, a JS Date milliseconds: the newest mail's `created_at` read back
 * is up to 1 ms earlier than the stored value, so asking for mail "after" it finds that mail
 * again, every run. The cursor therefore asks from one millisecond before the newest mail logged
 * and skips the ids it has already logged in that window.
 */
export function outboxLogger(db: Db, keys: MailKeys, log: Log, start = new Date()) {
  let cursor = start.getTime()
  const logged = new Map<string, number>() // id -> created_at in ms, within the window
  return async (): Promise<number> => {
    let count = 0
    for (const mail of await newMailForLog(db, new Date(cursor - 1), keys)) {
      if (logged.has(mail.id)) continue
      log.info(
        { to: mail.to, link: mail.link },
        `mail kept in the outbox (no SMTP_URL): ${mail.subject}`,
      )
      count += 1
      logged.set(mail.id, mail.createdAt.getTime())
      cursor = Math.max(cursor, mail.createdAt.getTime())
    }
    for (const [id, at] of logged) if (at < cursor - 1) logged.delete(id)
    return count
  }
}
