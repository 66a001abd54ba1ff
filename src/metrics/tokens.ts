import { Counter } from 'prom-client'
import { processMetrics, word } from './registry.js'

const grants = new Counter({
  name: 'gateway_tokens_issued_total',
  help: 'Successful token endpoint grants, by tenant and grant type.',
  labelNames: ['tenant', 'grant_type'] as const,
  registers: [processMetrics],
})

type GrantContext = { oidc?: { params?: { grant_type?: unknown } } }
type EventSource = { on(event: 'grant.success', listener: (ctx: GrantContext) => void): unknown }

/**
 * Counts a tenant's grants from oidc-provider's own `grant.success` event (emitted once the
 * token endpoint's grant handler answered), so no grant path can be missed or counted twice.
 */
export function countGrants(provider: EventSource, tenantId: string): void {
  provider.on('grant.success', (ctx) => {
    // grant_type was checked against the provider's enabled grants before this event; word()
    // keeps the label closed anyway (urn:…:device_code and token-exchange become 'other').
    const type = ctx.oidc?.params?.grant_type
    grants.inc({ tenant: tenantId, grant_type: word(type) })
  })
}
