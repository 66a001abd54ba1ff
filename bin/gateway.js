#!/usr/bin/env node
// The CLI runs the TypeScript sources directly through tsx: no build step between a clone and `npx gateway`.
import { availableParallelism } from 'node:os'
import { register } from 'tsx/esm/api'

// argon2 runs on libuv's thread pool (4 threads by default): leave threads for DNS and file I/O
// beside one hashing slot per core. Must be set before the pool first starts.
process.env.UV_THREADPOOL_SIZE ??= String(availableParallelism() + 4)

register()
const { main } = await import('../src/cli/main.ts')
process.exitCode = await main(process.argv.slice(2))
