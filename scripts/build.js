#!/usr/bin/env node
// `npm run build`: compiles src/ and migrations/ to dist/ (tsconfig.build.json) and copies what
// the compiled code reads beside itself: the pages' assets and the package's config/.
// `--if-stale` (what `npm start` runs) skips the compiler when dist/ is newer than every source,
// so a start after an edit runs the edit and a plain restart costs no compile.
import { spawnSync } from 'node:child_process'
import { cpSync, existsSync, readdirSync, rmSync, statSync, utimesSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const dist = join(root, 'dist')
const stamp = join(dist, '.tsbuildinfo')
const INPUTS = ['src', 'migrations', 'config', 'tsconfig.json', 'tsconfig.build.json', 'package.json']

function newest(path) {
  const stat = statSync(path)
  if (!stat.isDirectory()) return stat.mtimeMs
  return readdirSync(path).reduce((n, name) => Math.max(n, newest(join(path, name))), stat.mtimeMs)
}

if (process.argv.includes('--if-stale') && existsSync(stamp)) {
  const built = statSync(stamp).mtimeMs
  if (INPUTS.every((input) => newest(join(root, input)) <= built)) process.exit(0)
}

// The compiler of the repository's own devDependencies; a gateway installed from its tarball
// ships dist/ and never gets here.
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')
const result = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], {
  stdio: 'inherit',
})
if (result.status !== 0) process.exit(result.status ?? 1)

for (const [from, to] of [
  ['src/http/assets', 'dist/src/http/assets'],
  ['config', 'dist/config'],
]) {
  rmSync(join(root, to), { recursive: true, force: true })
  cpSync(join(root, from), join(root, to), { recursive: true })
}
// tsc leaves the stamp untouched when nothing changed: touching it marks this build current.
const now = new Date()
utimesSync(stamp, now, now)
