/**
 * What the test browsers (pages.ts over supertest, oidc.ts over the network) keep of cookies:
 * per host, the latest value of each name; a cookie set empty or expired is forgotten. Path,
 * Domain and Secure are not applied: tests on an https public URL talk plain http to the app.
 */
export function cookieJar() {
  const jar = new Map<string, Map<string, string>>()
  return {
    jar,
    /** The Cookie header for a request to `host`. */
    header: (host: string) =>
      [...(jar.get(host) ?? new Map()).entries()].map(([k, v]) => `${k}=${v}`).join('; '),
    /** Takes in the Set-Cookie lines of a response from `host`. */
    keep: (host: string, setCookies: string[]) => {
      const cookies = jar.get(host) ?? new Map<string, string>()
      for (const line of setCookies) {
        const [pair = ''] = line.split(';')
        const eq = pair.indexOf('=')
        const [name, value] = [pair.slice(0, eq).trim(), pair.slice(eq + 1)]
        if (value === '' || /max-age=0|expires=thu, 01 jan 1970/i.test(line)) cookies.delete(name)
        else cookies.set(name, value)
      }
      jar.set(host, cookies)
    },
  }
}

/** The value of a form's hidden field: our CSRF token (`_csrf`), or oidc-provider's `xsrf`. */
export const formToken = (html: string, field = '_csrf'): string | undefined =>
  new RegExp(`name="${field}" value="([^"]+)"`).exec(html)?.[1]
