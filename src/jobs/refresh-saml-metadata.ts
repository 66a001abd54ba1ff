import type { Db } from '../db/database.js'
import type { Log } from '../log.js'
import { refreshDueMetadata } from '../sso/directories-refresh.js'

/** The daily refresh of SAML metadata URLs; each failure is logged, the last good copy kept. */
export async function refreshSamlMetadata(
  db: Db,
  deps: { development: boolean; log: Log; now?: Date },
) {
  const results = await refreshDueMetadata({ db, development: deps.development }, deps.now)
  for (const r of results) {
    if (r.ok && r.changed) deps.log.info({ directory: r.id }, 'SAML metadata refreshed: it changed')
    if (!r.ok)
      deps.log.warn(
        { event: 'saml_metadata_refresh_failed', directory: r.id, reason: r.error },
        'SAML metadata refresh failed: the last good metadata stays in use',
      )
  }
  return {
    refreshed: results.filter((r) => r.ok).length,
    changed: results.filter((r) => r.changed).length,
    failed: results.filter((r) => !r.ok).length,
  }
}
