// A SAML validation worker (lib/worker-pool.ts): saml.ts validateSamlResponse, off the main thread.
import { parentPort } from 'node:worker_threads'
import { serveJobs } from '../lib/worker-pool.js'
import { validateSamlResponse } from './saml.js'

if (!parentPort) throw new Error('saml.worker.ts runs as a worker thread')
serveJobs(parentPort, validateSamlResponse)
