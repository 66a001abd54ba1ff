#!/usr/bin/env node
// The CLI on the TypeScript sources through tsx (a devDependency): what the tests and benches
// spawn, so they run the code as it is now, with no build between an edit and a test.
import { availableParallelism } from 'node:os'
import { register } from 'tsx/esm/api'

process.env.UV_THREADPOOL_SIZE ??= String(availableParallelism() + 4)

register()
const { main } = await import('../src/cli/main.ts')
process.exitCode = await main(process.argv.slice(2))
