import helmet from 'helmet'

// Our pages carry no inline script or style: the policy forbids both, and framing entirely.
export const securityHeaders = () =>
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
