import {
  createServer,
  IncomingMessage,
  type RequestListener,
  type Server,
  ServerResponse,
} from 'node:http'
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
      ...expressPrototypes(handler),
    },
    (req, res) => {
      timeRequest(req, res)
      handler(req, res)
    },
  )
}

/**
 * Requests and responses made with the Express app's own prototypes from the start.
 * Express gives every request and response its prototypes with `Object.setPrototypeOf(req,
 * app.request)` (and `res`, app.response). On Node 20's V8 that costs far more than the call:
 * each object changed so gets a map of its own and stays in the heap past young collections, so
 * a gateway under load promoted tens of MB a second and ran a full mark-compact every few
 * hundred ms, 8-35 ms pauses each (bench/forward-auth.ts with --trace-gc), and a bare Express 5
 * answered a third of what the same server without the change answers. Objects made with
 * those prototypes already meet a setPrototypeOf that changes nothing, which V8 skips. Node 24
 * is not affected either way. Not an Express app (no `request`/`response`): Node's own classes.
 */
export function expressPrototypes(handler: RequestListener): {
  IncomingMessage?: typeof IncomingMessage
  ServerResponse?: typeof ServerResponse
} {
  const { request, response } = handler as { request?: unknown; response?: unknown }
  if (!(request instanceof IncomingMessage) || !(response instanceof ServerResponse)) return {}
  // Node's classes are functions that set up `this` (Node 20 and 24): called on an object that
  // `new` made with the app's prototype. (Reflect.construct with the app's prototype as
  // new.target would do it for any class, but V8 then takes a slow path that costs as much.)
  const init = (base: unknown) => {
    if (typeof base !== 'function' || /^class\b/.test(Function.prototype.toString.call(base)))
      return undefined
    return base as (this: unknown, ...args: unknown[]) => void
  }
  const request0 = init(IncomingMessage)
  const response0 = init(ServerResponse)
  if (!request0 || !response0) return {}
  const [initRequest, initResponse] = [request0, response0]
  function Request(this: unknown, socket: unknown) {
    initRequest.call(this, socket)
  }
  Request.prototype = request
  function Response(this: unknown, req: unknown, options: unknown) {
    initResponse.call(this, req, options)
  }
  Response.prototype = response
  return {
    IncomingMessage: Request as unknown as typeof IncomingMessage,
    ServerResponse: Response as unknown as typeof ServerResponse,
  }
}
