#!/usr/bin/env node
// The CLI runs the compiled gateway (dist/, built by `npm run build`; `npm start` builds it when
// the sources are newer). Tests and benches run the sources through tsx instead (bin/gateway-dev.js).
import { existsSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import v8 from 'node:v8'

// argon2 runs on libuv's thread pool (4 threads by default): leave threads for DNS and file I/O
// beside one hashing slot per core. Must be set before the pool first starts.
process.env.UV_THREADPOOL_SIZE ??= String(availableParallelism() + 4)

// V8 lets the old generation grow to several times its live size before a full collection: a
// 100,000-row import peaked at 268 MB of RSS for 130 MB at rest. Growing it by 30 % at most
// holds that import under 160 MB at the same rate (bench/import.ts, bench/README.md). A flag
// given to node itself wins.
if (!process.execArgv.some((arg) => arg.startsWith('--heap-growing-percent')))
  v8.setFlagsFromString('--heap-growing-percent=30')

const entry = new URL('../dist/src/cli/main.js', import.meta.url)
if (!existsSync(entry)) {
  console.error('gateway: not built yet. Run `npm run build` (or `npm start`, which builds first).')
  process.exit(1)
}
const { main } = await import(entry.href)
process.exitCode = await main(process.argv.slice(2))
