import type { IncomingMessage, ServerResponse } from 'node:http'
import { Histogram } from 'prom-client'
import { processMetrics } from './registry.js'

const requests = new Histogram({
  name: 'gateway_http_request_duration_seconds',
  help: 'Time to answer HTTP requests, by method, route pattern and status.',
  labelNames: ['method', 'route', 'status'] as const,
  // Forward auth answers in about a millisecond; a login waits on argon2id (~15 ms, more queued).
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [processMetrics],
})

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'])

/** What Express leaves on a request it routed (router 2.x): the matched route and mount path. */
type Routed = IncomingMessage & {
  route?: { path?: unknown }
  baseUrl?: string
  originalUrl?: string
}

/**
 * Times every request and labels it with the route pattern Express matched (`/invite/:token`),
 * never the raw path: tokens and ids in paths would make one series per request. A request no
 * route matched (a 404, a probe for /wp-login.php) is 'unmatched'.
 */
export function timeRequest(req: IncomingMessage, res: ServerResponse): void {
  const start = process.hrtime.bigint()
  res.once('finish', () => {
    const seconds = Number(process.hrtime.bigint() - start) / 1e9
    requests.observe(
      {
        method: METHODS.has(req.method ?? '') ? (req.method as string) : 'OTHER',
        route: routeOf(req as Routed),
        status: String(res.statusCode),
      },
      seconds,
    )
  })
}

function routeOf(req: Routed): string {
  const path = req.route?.path
  const full = pathOf(req.originalUrl ?? req.url)
  if (typeof path === 'string') return mounted(req.baseUrl ?? '', path, full)
  // One route for several paths (routes.ts: app.all([...], handler)): the pattern that matches.
  if (Array.isArray(path))
    return (
      path.find((p): p is string => typeof p === 'string' && compile(p).test(full)) ?? 'unmatched'
    )
  return 'unmatched'
}

const pathOf = (url: string | undefined) => (url ?? '/').split('?', 1)[0] as string

// The literal paths routers are mounted under (routes.ts: '/admin/api/v1'), as seen on answered
// requests; capped, should a mount ever take a parameter.
const mounts = new Set<string>()

function mounted(baseUrl: string, pattern: string, full: string): string {
  if (baseUrl) {
    if (mounts.size < 16) mounts.add(baseUrl)
    if (mounts.has(baseUrl)) return `${baseUrl}${pattern}`
  }
  // An error thrown in a mounted router reaches the app's error handler with baseUrl reset to
  // '': find its mount again, or the admin API's 500s would be labelled as another route.
  if (compile(pattern).test(full)) return pattern
  for (const m of mounts)
    if (full.startsWith(m) && compile(pattern).test(full.slice(m.length))) return `${m}${pattern}`
  return 'unmatched'
}

const compiled = new Map<string, RegExp>()
const compile = (pattern: string) => {
  let re = compiled.get(pattern)
  if (!re) compiled.set(pattern, (re = patternRegExp(pattern)))
  return re
}

// Express 5 path syntax as routes.ts uses it: literal segments and `:name` parameters.
function patternRegExp(pattern: string): RegExp {
  const segments = pattern
    .split('/')
    .map((s) => (s.startsWith(':') ? '[^/]+' : s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
  return new RegExp(`^${segments.join('/')}/?$`, 'i')
}
