// Raw argon2id verify throughput with the default parameters, `concurrency` verifications in
// flight (one per core, the hasher's default cap). Run: npx tsx bench/hash.ts [seconds]
import { availableParallelism, cpus } from 'node:os'
import { performance } from 'node:perf_hooks'
import { verify } from '@node-rs/argon2'
import { createHasher, DEFAULT_ARGON2_PARAMS } from '../src/identity/hashing.js'

const seconds = Number(process.argv[2] ?? 10)
const concurrency = availableParallelism()
const password = 'violet tram harbour 42'
const encoded = await createHasher().hash(password)

async function measure(durationMs: number): Promise<{ latencies: number[]; elapsedMs: number }> {
  const latencies: number[] = []
  const start = performance.now()
  const deadline = start + durationMs
  const worker = async () => {
    while (performance.now() < deadline) {
      const began = performance.now()
      if (!(await verify(encoded, password))) throw new Error('verification failed')
      latencies.push(performance.now() - began)
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  return { latencies, elapsedMs: performance.now() - start }
}

await measure(1_000) // warm-up: thread pool start, page faults on the first 19 MiB blocks
const { latencies, elapsedMs } = await measure(seconds * 1_000)
latencies.sort((a, b) => a - b)
const percentile = (q: number) =>
  latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN

console.log(`node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'}`)
console.log(
  `cores ${concurrency}, libuv pool ${process.env.UV_THREADPOOL_SIZE ?? 4}, params ${JSON.stringify(DEFAULT_ARGON2_PARAMS)}`,
)
console.log(`${latencies.length} verifications in ${(elapsedMs / 1000).toFixed(1)} s`)
console.log(`throughput ${((latencies.length * 1000) / elapsedMs).toFixed(1)} verifications/s`)
console.log(`latency p50 ${percentile(0.5).toFixed(1)} ms, p99 ${percentile(0.99).toFixed(1)} ms`)
