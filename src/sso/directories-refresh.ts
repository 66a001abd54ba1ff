import { AppError } from '../errors.js'
import { SamlConfig, type SsoContext } from './connection.js'
import { claimMetadataRefresh, recordMetadataRefresh } from './directories.queries.js'
import { readIdpMetadata } from './metadata.js'

// The daily refresh of SAML directories that read their IdP's metadata from a URL: a
// certificate rollover at the IdP (old and new certificates published together, then the old
// one dropped) reaches the gateway with no admin action. A failed fetch keeps the last good
// metadata and is tried again an hour later.

const HOUR_MS = 3_600_000
export const REFRESH_EVERY_MS = 24 * HOUR_MS
const RETRY_AFTER_MS = HOUR_MS
const BATCH = 20
const MAX_BATCHES = 10

export type RefreshResult = { id: string; ok: boolean; changed: boolean; error?: string }

export async function refreshDueMetadata(
  ctx: Pick<SsoContext, 'db' | 'development'>,
  now = new Date(),
): Promise<RefreshResult[]> {
  const results: RefreshResult[] = []
  for (let i = 0; i < MAX_BATCHES; i++) {
    const claimed = await claimMetadataRefresh(ctx.db, {
      now,
      dueBefore: new Date(now.getTime() - REFRESH_EVERY_MS),
      retryBefore: new Date(now.getTime() - RETRY_AFTER_MS),
      limit: BATCH,
    })
    for (const row of claimed) results.push(await refreshOne(ctx, row, now))
    if (claimed.length < BATCH) break
  }
  return results
}

async function refreshOne(
  ctx: Pick<SsoContext, 'db' | 'development'>,
  row: { id: string; config: unknown },
  now: Date,
): Promise<RefreshResult> {
  const config = SamlConfig.safeParse(row.config)
  const metadataUrl = config.success ? config.data.metadataUrl : undefined
  if (!config.success || !metadataUrl)
    return { id: row.id, ok: false, changed: false, error: 'the stored connection is invalid' }
  const fail = async (error: string) => {
    await recordMetadataRefresh(ctx.db, { id: row.id, metadataUrl, error, now })
    return { id: row.id, ok: false, changed: false, error }
  }
  let idp
  try {
    idp = await readIdpMetadata({ development: ctx.development }, { metadataUrl }, now)
  } catch (error) {
    if (!(error instanceof AppError)) throw error
    return fail(error.message)
  }
  // Another entity behind the same URL is not a rollover: an admin decides (PATCH the directory).
  const known = config.data.idp
  if (idp.entityId !== known.entityId)
    return fail(`the metadata now names the entity "${idp.entityId}", not "${known.entityId}"`)
  await recordMetadataRefresh(ctx.db, { id: row.id, metadataUrl, idp, now })
  const changed =
    idp.ssoUrl !== known.ssoUrl || idp.certificates.join('\n') !== known.certificates.join('\n')
  return { id: row.id, ok: true, changed }
}
