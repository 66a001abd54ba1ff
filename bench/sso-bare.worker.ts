// bench/sso.ts's second peer: bare node-saml validatePostResponseAsync in a worker thread, with
// the options bench/sso.ts gives the single-threaded one (sent with each batch).
import { parentPort } from 'node:worker_threads'
import { SAML, type SamlConfig } from '@node-saml/node-saml'
import { serveJobs } from '../src/lib/worker-pool.js'

let bare: SAML | undefined
serveJobs(parentPort!, async (job: { options: SamlConfig; responses: string[] }) => {
  bare ??= new SAML(job.options)
  for (const SAMLResponse of job.responses) await bare.validatePostResponseAsync({ SAMLResponse })
  return job.responses.length
})
