import { AppError } from '../errors.js'
import type { Tenant } from '../tenants/tenants.js'
import type { DirectoryCheck, SsoContext } from './connection.js'
import { findEnterpriseDirectory } from './directories.js'
import { checkOidcDirectory } from './oidc.js'
import { checkSamlDirectory } from './saml.js'

// POST …/directories/{id}/test: what is wrong with a connection, in words an admin can act on.
// Each protocol module checks its own connection (src/sso/saml-check.ts, oidc-check.ts).

export async function testDirectory(
  ctx: SsoContext,
  input: { tenant: Tenant; id: string },
  now = new Date(),
): Promise<{ ok: boolean; checks: DirectoryCheck[] }> {
  const { tenant } = input
  const directory = await findEnterpriseDirectory(ctx.db, tenant.id, input.id)
  if (!directory) throw new AppError('not_found', 'There is no such directory.')
  const checks =
    directory.kind === 'saml'
      ? await protocolChecks(() => checkSamlDirectory(ctx, { tenant, directory }, now))
      : await protocolChecks(() => checkOidcDirectory(ctx, { tenant, directory }))
  return { ok: checks.every((c) => c.ok), checks }
}

// A refusal the protocol module words for the admin (an unreachable discovery document) is a
// failed check, not a failed request; anything else is a bug and stays an error.
async function protocolChecks(run: () => Promise<DirectoryCheck[]>): Promise<DirectoryCheck[]> {
  try {
    return await run()
  } catch (error) {
    if (!(error instanceof AppError) || error.code === 'tenant_misconfigured') throw error
    return [{ check: 'connection', ok: false, message: error.message }]
  }
}
