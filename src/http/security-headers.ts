import type { IncomingMessage, ServerResponse } from 'node:http'
import type { RequestHandler } from 'express'
import helmet from 'helmet'

// Our pages carry no inline script or style: the policy forbids both, and framing entirely.
const policy = () =>
  helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'none'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        // No form-action: browsers apply it to the redirects after a form is sent, and a
        // login form's redirects end at the app's redirect URI, on the app's origin.
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
      },
    },
    // frame-ancestors for current browsers, X-Frame-Options: DENY for those that predate it.
    xFrameOptions: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    crossOriginResourcePolicy: { policy: 'same-origin' },
  })

/**
 * The headers helmet sets with our policy. None depends on the request (no directive is a
 * function, no nonce), so helmet runs once, here, and every answer gets the same list: it
 * costs a loop instead of thirteen middlewares on every request, forward auth's included.
 */
function headersOfPolicy(): [string, string][] {
  const headers: [string, string][] = []
  const res = {
    setHeader: (name: string, value: string) => headers.push([name, value]),
    removeHeader: () => undefined,
  }
  let done = false
  policy()(
    { headers: {} } as IncomingMessage,
    res as unknown as ServerResponse,
    () => (done = true),
  )
  if (!done) throw new Error('helmet did not finish synchronously')
  return headers
}

export const securityHeaders = (): RequestHandler => {
  const headers = headersOfPolicy()
  return (_req, res, next) => {
    for (const [name, value] of headers) res.setHeader(name, value)
    next()
  }
}
