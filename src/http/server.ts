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
 * hundred ms, 8-35 ms pauses each (bench/forward-auth.ts with --trace-gc); a bare Express 5
 * answered a fifth to a third of what it answers without the change. Here the app's prototypes
 * become those of subclasses of Node's classes (the same properties, the same chain below
 * them), the server makes its objects with those, and Express's setPrototypeOf then changes
 * nothing, which V8 skips. Subclasses, not functions that call Node's constructors on an object
 * of the app's prototype: those cost 25 % on Node 24, where V8 handles setPrototypeOf well.
 * Not an Express app (no `request`/`response`): Node's own classes. It changes the app's
 * `request` and `response` objects (once: a second call finds them done).
 */
export function expressPrototypes(handler: RequestListener): {
  IncomingMessage?: typeof IncomingMessage
  ServerResponse?: typeof ServerResponse
} {
  const app = handler as unknown as { request?: unknown; response?: unknown }
  const { request, response } = app
  if (!(request instanceof IncomingMessage) || !(response instanceof ServerResponse)) return {}
  const made = madeFor.get(handler)
  if (made) return made
  class Request extends IncomingMessage {}
  class Response<R extends IncomingMessage = IncomingMessage> extends ServerResponse<R> {}
  adopt(Request.prototype, request)
  adopt(Response.prototype, response)
  app.request = Request.prototype
  app.response = Response.prototype
  const classes = { IncomingMessage: Request, ServerResponse: Response }
  madeFor.set(handler, classes)
  return classes
}

const madeFor = new WeakMap<
  RequestListener,
  { IncomingMessage: typeof IncomingMessage; ServerResponse: typeof ServerResponse }
>()

/** `target` takes the place of `prototype`: its own properties, and what it inherits from. */
function adopt(target: object, prototype: object) {
  Object.setPrototypeOf(target, Object.getPrototypeOf(prototype))
  Object.defineProperties(target, Object.getOwnPropertyDescriptors(prototype))
}
