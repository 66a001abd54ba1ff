import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import * as client from 'openid-client'
import type { Tenant } from '../../src/tenants/tenants.js'
import { verifyAccessToken } from '../../src/verifier/index.js'
import type { Gateway } from './harness.js'
import { authorizationRequest, exchangeCode, relyingParty, tenantFetch } from './oidc.js'

type Visit = {
  pending?: { verifier: string; state: string }
  signedIn?: { email: string; roles: string[]; idToken: string }
}

const escape = (s: string) =>
  s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!)

/**
 * A store app as its developers would write it: a web app on `http://{host}:{port}` that signs
 * people in with openid-client (code + PKCE) and checks the access token with the gateway's
 * verifier. Its own session is a cookie naming an entry in memory.
 */
export async function startStoreApp(gw: Gateway, tenant: Tenant, name: string, host: string) {
  const visits = new Map<string, Visit>()
  let config: client.Configuration
  let base: string

  const visitOf = (req: IncomingMessage, res: ServerResponse) => {
    const sid = /(?:^|; )sid=([\w-]+)/.exec(req.headers.cookie ?? '')?.[1]
    if (sid && visits.has(sid)) return visits.get(sid)!
    const fresh = randomBytes(16).toString('base64url')
    visits.set(fresh, {})
    res.setHeader('Set-Cookie', `sid=${fresh}; HttpOnly; SameSite=Lax; Path=/`)
    return visits.get(fresh)!
  }
  const redirect = (res: ServerResponse, to: string | URL) =>
    res.writeHead(302, { location: String(to) }).end()

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', base)
    const visit = visitOf(req, res)
    if (url.pathname === '/login') {
      const {
        url: to,
        verifier,
        state,
      } = await authorizationRequest(config, {
        redirect_uri: `${base}/callback`,
        scope: 'openid email profile',
      })
      visit.pending = { verifier, state }
      return redirect(res, to)
    }
    if (url.pathname === '/callback') {
      if (!visit.pending) return res.writeHead(400).end('no sign-in in progress')
      const tokens = await exchangeCode(config, url, visit.pending)
      delete visit.pending
      const claims = await verifyAccessToken(tokens.access_token, {
        issuer: tenant.publicUrl,
        audience: `${tenant.publicUrl}/api`,
        fetch: tenantFetch,
      })
      visit.signedIn = {
        email: String(claims.email),
        roles: claims.roles ?? [],
        idToken: tokens.id_token!,
      }
      return redirect(res, '/')
    }
    if (url.pathname === '/logout' && visit.signedIn) {
      const idToken = visit.signedIn.idToken
      delete visit.signedIn
      return redirect(
        res,
        client.buildEndSessionUrl(config, {
          id_token_hint: idToken,
          post_logout_redirect_uri: `${base}/`,
        }),
      )
    }
    const who = visit.signedIn
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(
      `<!doctype html><title>${escape(name)}</title><h1>${escape(name)}</h1>` +
        (who
          ? `<p id="who">Signed in as ${escape(who.email)} (${escape(who.roles.join(', '))})</p>
             <a id="logout" href="/logout">Log out</a>`
          : `<p id="who">Not signed in</p><a id="signin" href="/login">Sign in</a>`),
    )
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: Error) => {
      if (!res.headersSent) res.writeHead(500).end(`store app error: ${escape(err.message)}`)
    })
  })
  server.listen(0)
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  base = `http://${host}:${port}`
  ;({ config } = await relyingParty(gw, tenant, {
    name,
    type: 'web',
    redirectUris: [`${base}/callback`],
    postLogoutRedirectUris: [`${base}/`],
  }))
  return {
    url: `${base}/`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
