import type { default as Provider } from 'oidc-provider'

/**
 * Every app is the tenant's own (first party): what it asks within our scopes is granted, with
 * no consent screen. Tops up the grant a session already holds for the app.
 */
export async function firstPartyGrant(
  provider: Provider,
  input: {
    accountId: string
    clientId: string
    scope: string
    audience: string
    grantId?: string | undefined
  },
) {
  const existing = input.grantId ? await provider.Grant.find(input.grantId) : undefined
  const grant =
    existing ?? new provider.Grant({ clientId: input.clientId, accountId: input.accountId })
  grant.addOIDCScope(input.scope)
  grant.addResourceScope(input.audience, input.scope)
  await grant.save()
  return grant
}
