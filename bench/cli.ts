// `gateway tenant list` on the embedded database: wall time and CPU of the command's process,
// alone on the data directory and beside a running `gateway serve` (through its socket), in one
// run. Issue 13's goal: under 2 s. Run: npx tsx bench/cli.ts [runs]
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { ready, startGateway } from '../test/support/process.js'
import { compiledGateway } from './support.js'

const runs = Number(process.argv[2] ?? 5)
// The compiled CLI, as `npx gateway` runs it (built first if the sources are newer).
const BIN = compiledGateway()
const dataDir = mkdtempSync(join(tmpdir(), 'gw-bench-cli-'))

/** One command: its wall time, and its CPU (user + system) as GNU time reads it from rusage. */
async function command(): Promise<{ wallMs: number; cpuMs: number }> {
  const started = performance.now()
  const child = spawn('/usr/bin/time', ['-f', '%U %S', process.execPath, BIN, 'tenant', 'list'], {
    env: { PATH: process.env.PATH ?? '', DATA_DIR: dataDir },
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let stderr = ''
  child.stderr.on('data', (d) => (stderr += d))
  const [code] = await once(child, 'exit')
  if (code !== 0) throw new Error(`gateway tenant list failed (${code}): ${stderr}`)
  const [user, system] = stderr.trim().split('\n').at(-1)!.split(' ').map(Number)
  return { wallMs: performance.now() - started, cpuMs: ((user ?? 0) + (system ?? 0)) * 1000 }
}

async function series(label: string) {
  const results = []
  for (let i = 0; i < runs; i++) results.push(await command())
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0
  const wall = median(results.map((r) => r.wallMs))
  const cpu = median(results.map((r) => r.cpuMs))
  console.log(
    `${label.padEnd(34)} wall ${wall.toFixed(0).padStart(5)} ms   cpu ${cpu.toFixed(0).padStart(5)} ms (median of ${runs})`,
  )
}

await command() // creates and migrates the data directory; not counted
await series('no server (opens PGlite itself)')
const gw = await startGateway({ DATA_DIR: dataDir, LOG_LEVEL: 'info' }, [], BIN)
try {
  await gw.until(ready, 'the server')
  await series('server running (its socket)')
} finally {
  await gw.stop()
}
await series('no server again')
console.log(
  `load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')} (goal: under 2 s on the embedded database)`,
)
