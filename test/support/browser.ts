import { existsSync, mkdirSync } from 'node:fs'
import type { Server } from 'node:http'
import { type Browser, chromium } from 'playwright-core'
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
