import { createServer, type RequestListener, type Server } from 'node:http'
import { timeRequest } from '../metrics/http.js'

export type SlowClientLimits = {
  /** Time for the request line and headers. */
  headersTimeoutMs: number
  /** Time for the whole request, body included. */
  requestTimeoutMs: number
  /** How often Node looks for connections past either limit. */
  checkEveryMs: number
}

// Slowloris defence: a client that trickles its headers or body is answered 408 and dropped.
// Node only looks every `checkEveryMs`, so the worst case is a limit plus one interval: 30 s at
// most for a whole request, 15 s for its headers (Node's defaults hold one for 5 minutes).
export const SLOW_CLIENT_LIMITS: SlowClientLimits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 25_000,
  checkEveryMs: 5_000,
}

/**
 * The gateway's HTTP server around a request handler (the Express app), each request timed for
 * the latency histogram: here, around the app, so no route or error path escapes it.
 */
export function httpServer(handler: RequestListener, limits = SLOW_CLIENT_LIMITS): Server {
  return createServer(
    {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      connectionsCheckingInterval: limits.checkEveryMs,
    },
    (req, res) => {
      timeRequest(req, res)
      handler(req, res)
    },
  )
}
