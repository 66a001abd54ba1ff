import { afterAll } from 'vitest'
import type { Db } from '../../src/db/database.js'
import { open } from '../../src/lib/seal.js'
import { idpMetadataXml, type MetadataServer, startMetadataServer } from './idp-metadata.js'

// What an admin gives the admin API and the CLI for a company directory, and where the tests
// find what the gateway made of it.

/** The client secret of oidcInput: the tests look for it in every answer and log line. */
export const CLIENT_SECRET = 'oidc-secret-that-must-never-show-7f3a9c'

/** A body of POST …/directories for a SAML directory; `extra` changes, adds or removes fields. */
export const samlInput = (extra: object = {}) => ({
  kind: 'saml',
  name: 'Corp Entra ID',
  metadataXml: idpMetadataXml(),
  ...extra,
})

/** A body of POST …/directories for an OpenID Connect directory; `extra` as for samlInput. */
export const oidcInput = (extra: object = {}) => ({
  kind: 'oidc',
  name: 'Corp Okta',
  issuer: 'https://corp.okta.example',
  clientId: 'gateway-client',
  clientSecret: CLIENT_SECRET,
  ...extra,
})

/** A metadata URL on 127.0.0.1 for this file's tests, closed after them. Top-level await. */
export async function useMetadataServer(): Promise<MetadataServer> {
  const server = await startMetadataServer()
  afterAll(() => server.close())
  return server
}

/** The client secret stored for directory `id`, opened with the gateway's SECRET_KEY. */
export async function storedClientSecret(db: Db, secretKey: string, id: string) {
  const row = await db
    .selectFrom('directories')
    .select('secret_sealed')
    .where('id', '=', id)
    .executeTakeFirstOrThrow()
  return row.secret_sealed && open(secretKey, 'oidc-client-secret', row.secret_sealed)
}
