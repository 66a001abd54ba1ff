// A bcrypt verification worker (lib/worker-pool.ts): bcryptjs is pure JavaScript, ~0.3 s of CPU
// at cost 12, which would otherwise be taken from the thread serving every request.
import { parentPort } from 'node:worker_threads'
import bcrypt from 'bcryptjs'
import { serveJobs } from '../lib/worker-pool.js'

if (!parentPort) throw new Error('bcrypt.worker.ts runs as a worker thread')
serveJobs(parentPort, async ({ hash, password }: { hash: string; password: string }) =>
  bcrypt.compareSync(password, hash),
)
