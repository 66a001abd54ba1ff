// The one module that loads openid-client (test/unit/architecture.test.ts): the OpenID Connect
// relying party of each directory. Built by issue 10's OIDC work.
import { AppError } from '../errors.js'
import type { DirectoryCheck, OidcDirectory, SsoContext, SsoStart } from './connection.js'
import type { Tenant } from '../tenants/tenants.js'

/** The IdP's authorization URL (code + PKCE + state + nonce) that starts this sign-in. */
export async function beginOidcSignIn(
  _ctx: SsoContext,
  _input: { tenant: Tenant; directory: OidcDirectory; host: string; start: SsoStart },
): Promise<string> {
  throw new AppError('not_found', 'OpenID Connect sign-in is not available yet.')
}

/** Discovery, keys, algorithms, clocks: what is wrong with this connection, in plain words. */
export async function checkOidcDirectory(
  _ctx: SsoContext,
  _input: { tenant: Tenant; directory: OidcDirectory },
): Promise<DirectoryCheck[]> {
  throw new AppError('not_found', 'OpenID Connect checks are not available yet.')
}
