import { existsSync, mkdirSync } from 'node:fs'
import type { Server } from 'node:http'
import { type Browser, chromium } from 'playwright-core'
import { afterAll, beforeAll } from 'vitest'
import { sendDueMail } from '../../src/jobs/send-outbox.js'
import { createMailer } from '../../src/mail/smtp.js'
import type { Tenant } from '../../src/tenants/tenants.js'
import { inviteMembers } from './invite.js'
import { extractLink, startSmtp, type TestSmtp } from './smtp.js'
import type { Gateway } from './harness.js'

export const CHROMIUM = '/usr/bin/chromium'
// .ci/run installs Debian's chromium and sets E2E_REQUIRED=1, so CI can never skip these.
export const hasBrowser = existsSync(CHROMIUM) || process.env.E2E_REQUIRED === '1'
export const SCREENSHOTS = 'test/.artifacts/screenshots'

export async function launchBrowser(): Promise<Browser> {
  mkdirSync(SCREENSHOTS, { recursive: true })
  return chromium.launch({
    executablePath: CHROMIUM,
    // The machine has no network beyond loopback: keep Chromium from calling home.
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
}

/** The test app on a real port: Chromium resolves *.localhost to loopback by itself. */
export async function listen(
  gw: Gateway,
  wanted = 0,
): Promise<{ server: Server; port: number; close: () => Promise<void> }> {
  // Every loopback address: Chromium may resolve *.localhost to ::1 as well as 127.0.0.1.
  const server = gw.app.listen(wanted)
  await new Promise<void>((resolve) => server.once('listening', () => resolve()))
  const { port } = server.address() as { port: number }
  return {
    server,
    port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

/**
 * A browser journey's world: Chromium, an SMTP server, the app listening on `port` (which the
 * gateway's config must name, so emailed links point at it), and `deliver()` to run the outbox.
 */
export function useBrowserWorld(gw: Gateway, port: number) {
  const world = {} as {
    browser: Browser
    smtp: TestSmtp
    deliver: () => Promise<unknown>
    /**
     * Invites `firstName <email>` to the tenant (with `grant`: as an admin, say), sends the mail,
     * and gives its activation link.
     */
    inviteLink: (
      tenant: Tenant,
      email: string,
      firstName: string,
      grant?: { role?: string },
    ) => Promise<string>
  }
  let server: Awaited<ReturnType<typeof listen>> | undefined
  beforeAll(async () => {
    const [browser, smtp] = await Promise.all([launchBrowser(), startSmtp()])
    server = await listen(gw, port)
    const mailer = createMailer(smtp.url)
    const deliver = () =>
      sendDueMail(gw.db, {
        mailer,
        secretKey: gw.config.secretKey,
        templates: gw.config.mailTemplates,
        from: { address: 'no-reply@localhost' },
      })
    const inviteLink = async (
      tenant: Tenant,
      email: string,
      firstName: string,
      grant: { role?: string } = {},
    ) => {
      const invitees = [{ email, firstName }]
      await inviteMembers(gw.db, tenant, { invitees, ...grant }, { secretKey: gw.config.secretKey })
      await deliver()
      return extractLink(await smtp.waitFor(email), '/invite/')
    }
    Object.assign(world, { browser, smtp, deliver, inviteLink })
  })
  afterAll(async () => {
    await world.browser?.close()
    await server?.close()
    await world.smtp?.close()
  })
  return world
}
