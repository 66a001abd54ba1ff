import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { createServer } from 'node:net'

// The sources through tsx: tests run the code as it is, with no build step. COMPILED_BIN is the
// published launcher on dist/ (built by `npm run build`), which benches and the build's own test run.
const BIN = new URL('../../bin/gateway-dev.js', import.meta.url).pathname
export const COMPILED_BIN = new URL('../../bin/gateway.js', import.meta.url).pathname

export type GatewayProcess = {
  child: ChildProcess
  port: number
  output: () => string
  /** Resolves once `probe` holds; rejects at once, with the output, if the process exits first. */
  until: (probe: (port: number) => Promise<boolean>, label: string) => Promise<void>
  stop: (signal?: NodeJS.Signals) => Promise<number | null>
}

/** Probes for `until`: the process answers /healthz, or /readyz (database migrated). */
export const healthy = async (port: number) => (await httpGet(port, '/healthz')).status === 200
export const ready = async (port: number) => (await httpGet(port, '/readyz')).status === 200

/**
 * A free port for a test server or a spawned gateway, chosen at random below the kernel's
 * ephemeral range (32768 and up), where `listen(0)` servers of other tests never land, and
 * checked on the wildcard address the gateway itself binds: a port held by any IPv4 or IPv6
 * listener is refused there. (A loopback-only check let a gateway bind [::]:P beside another
 * test's 127.0.0.1:P, and its probes reached the other server.)
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 10_000)
    const server = createServer()
    const free = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false))
      server.listen(port, () => resolve(true))
    })
    if (!free) continue
    server.close()
    await once(server, 'close')
    return port
  }
}

// A safety net against a hung child outliving its test, not a deadline: node + tsx may take long to
// start on a loaded machine, and the test's own timeout is what fails a test that waits too long.
const KILL_AFTER_MS = 300_000

/** Runs `gateway …` as a real process; resolves with its exit code and output. */
export async function runGateway(
  args: string[],
  env: Record<string, string>,
  timeoutMs = KILL_AFTER_MS,
) {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: 'pipe',
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d) => (stdout += d))
  child.stderr.on('data', (d) => (stderr += d))
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
  const [code] = (await once(child, 'exit')) as [number | null]
  clearTimeout(timer)
  return { code, stdout, stderr }
}

/** `gateway serve` on a free port; `stop()` sends SIGTERM and resolves with the exit code. */
export async function startGateway(
  env: Record<string, string>,
  nodeArgs: string[] = [],
  bin = BIN,
): Promise<GatewayProcess> {
  const port = await freePort()
  const child = spawn(process.execPath, [...nodeArgs, bin, 'serve'], {
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'info', ...env, PORT: String(port) },
    stdio: 'pipe',
  })
  let output = ''
  child.stdout?.on('data', (d) => (output += d))
  child.stderr?.on('data', (d) => (output += d))
  const exited = once(child, 'exit').then(([code]) => code as number | null)
  const level = env.LOG_LEVEL ?? 'info'
  const kill = setTimeout(() => child.kill('SIGKILL'), KILL_AFTER_MS)
  void exited.then(() => clearTimeout(kill))
  return {
    child,
    port,
    output: () => output,
    // No deadline of its own (see KILL_AFTER_MS): the signal that it will never hold is an exit.
    until: async (probe, label) => {
      if (!['trace', 'debug', 'info'].includes(level))
        throw new Error(`until needs the "gateway listening" line: LOG_LEVEL=${level} hides it`)
      while (child.exitCode === null && child.signalCode === null) {
        // Only once the child holds the port: until then another process may answer on it
        // (freePort released it, and a test server of the other worker can take it).
        const listening = output.includes('"msg":"gateway listening"')
        if (listening && (await probe(port).catch(() => false))) return
        await new Promise((r) => setTimeout(r, 100))
      }
      throw new Error(`the gateway exited (${child.exitCode}) before ${label}:\n${output}`)
    },
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null) child.kill(signal)
      return exited
    },
  }
}

/**
 * Polls until `probe` is true or the deadline passes; returns how long it took. For a spawned
 * gateway use its `until`, which has no deadline to outgrow on a loaded machine.
 */
export async function waitFor(
  probe: () => Promise<boolean>,
  timeoutMs: number,
  label: string,
): Promise<number> {
  const started = Date.now()
  while (Date.now() - started < timeoutMs) {
    if (await probe().catch(() => false)) return Date.now() - started
    await new Promise((r) => setTimeout(r, 200))
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${label}`)
}

export async function httpGet(port: number, path: string, host = 'localhost') {
  const { request } = await import('node:http')
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host } }, (res) => {
      let body = ''
      res.on('data', (d) => (body += d))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    })
    req.on('error', reject)
    req.end()
  })
}
