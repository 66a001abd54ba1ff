// The one module that loads @node-saml/node-saml (test/unit/architecture.test.ts): the SAML
// service provider of each directory. Built by issue 10's SAML work.
import { AppError } from '../errors.js'
import type { DirectoryCheck, SamlDirectory, SsoContext, SsoStart } from './connection.js'
import type { Tenant } from '../tenants/tenants.js'

/** The IdP URL (HTTP-Redirect binding, signed AuthnRequest) that starts this sign-in. */
export async function beginSamlSignIn(
  _ctx: SsoContext,
  _input: { tenant: Tenant; directory: SamlDirectory; host: string; start: SsoStart },
): Promise<string> {
  throw new AppError('not_found', 'SAML sign-in is not available yet.')
}

/** Metadata, certificates (expiry), clocks: what is wrong with this connection, in plain words. */
export async function checkSamlDirectory(
  _ctx: SsoContext,
  _input: { tenant: Tenant; directory: SamlDirectory },
): Promise<DirectoryCheck[]> {
  throw new AppError('not_found', 'SAML checks are not available yet.')
}
