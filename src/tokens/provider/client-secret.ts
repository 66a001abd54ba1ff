import type { default as Provider } from 'oidc-provider'
import { hashToken, safeEqual } from '../../lib/tokens.js'

/** Secrets are stored as their SHA-256 (apps.ts): the presented one is hashed, then compared in constant time. */
export function compareClientSecret(stored: string | undefined, presented: string): boolean {
  const digest = Buffer.from(hashToken(presented)).toString('base64url')
  return stored !== undefined && safeEqual(digest, stored)
}

// oidc-provider compares the stored secret with the presented one as plain text; it has no
// option for hashed secrets, so its Client model's method is replaced (non-public: pinned).
export function useHashedClientSecrets(provider: Provider): void {
  provider.Client.prototype.compareClientSecret = function (
    this: { clientSecret?: string },
    actual: string,
  ) {
    return Promise.resolve(compareClientSecret(this.clientSecret, actual))
  } as never
}
