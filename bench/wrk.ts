// wrk (Debian's `wrk` package: C, one epoll loop per thread) as the benches' load generator: on
// a 2-core machine the generator shares the cores with what it measures, and wrk spends a few
// microseconds per request where a JavaScript client spends a millisecond.
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export const WRK = process.env.BENCH_WRK ?? 'wrk'

/** Whether wrk can be run here (else the bench says how to install it). */
export const hasWrk = () => spawnSync(WRK, ['--version']).error === undefined

export type WrkResult = {
  /** Requests the script counted as done (its `ok`), or all completed requests. */
  requests: number
  seconds: number
  rate: number
  /** Answers with a status above 399. */
  errors: number
  p50: number
  p99: number
  /** CPU time wrk itself spent (ms), read by the shell's `times`. */
  cpuMs: number
}

// done() runs in the environment of setup(), not in the threads': each thread's `ok` (when the
// script keeps one) is read through the thread object kept at setup.
const REPORT = `
local threads = {}
function setup(thread) table.insert(threads, thread) end
function done(summary, latency, requests)
  local ok, elapsed = 0, nil
  for _, t in ipairs(threads) do
    ok = ok + (t:get("ok") or 0)
    elapsed = t:get("elapsed") or elapsed
  end
  local micros = elapsed and math.floor(elapsed * 1e6) or summary.duration
  io.write(string.format("WRK %d %d %d %d %d %d\\n", summary.requests, ok, micros,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write
      + summary.errors.timeout, latency:percentile(50), latency:percentile(99)))
end
`

/**
 * Runs wrk with one thread and `connections` connections against `url` for `seconds` with
 * `script` (Lua: request/response). A global `ok` the script counts replaces the completed
 * requests as the figure, and a global `elapsed` (seconds) the duration: a script that stops
 * its thread early measures its own time, as wrk waits out its duration anyway.
 */
export async function runWrk(input: {
  url: string
  connections: number
  seconds: number
  script: string
}): Promise<WrkResult> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-wrk-'))
  const file = join(dir, 'script.lua')
  writeFileSync(file, `${input.script}\n${REPORT}`)
  try {
    const command = [
      WRK,
      '-t1',
      `-c${input.connections}`,
      `-d${input.seconds}s`,
      '--timeout',
      '30s',
      '-s',
      file,
      input.url,
    ]
      .map((a) => `'${a}'`)
      .join(' ')
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn('bash', ['-c', `${command} && times`], {
        stdio: ['ignore', 'pipe', 'inherit'],
      })
      let text = ''
      child.stdout.on('data', (d: Buffer) => (text += d.toString()))
      child.on('error', reject)
      child.on('exit', (code) =>
        code === 0 ? resolve(text) : reject(new Error(`wrk exited ${code}: ${text}`)),
      )
    })
    const report = /WRK (\d+) (\d+) (\d+) (\d+) (\d+) (\d+)/.exec(out)
    if (!report) throw new Error(`no report from wrk: ${out}`)
    const [completed, ok, micros, errors, p50, p99] = report.slice(1).map(Number) as number[]
    // `times` prints the shell's own times, then its children's: wrk's.
    const children = out.trim().split('\n').at(-1)!
    const cpuMs = [...children.matchAll(/(\d+)m([\d.]+)s/g)].reduce(
      (sum, m) => sum + (Number(m[1]) * 60 + Number(m[2])) * 1000,
      0,
    )
    const requests = ok! > 0 ? ok! : completed!
    const seconds = micros! / 1e6
    return {
      requests,
      seconds,
      rate: requests / seconds,
      errors: errors!,
      p50: p50! / 1000,
      p99: p99! / 1000,
      cpuMs,
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** A Lua string literal. */
export const lua = (s: string) => JSON.stringify(s)
