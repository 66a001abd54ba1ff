import { randomBytes } from 'node:crypto'
import * as z from 'zod'
import type { Db } from '../db/database.js'
import type { AppType } from '../db/schema.js'
import { AppError } from '../errors.js'
import { hashToken, newToken } from '../lib/tokens.js'
import { parse } from '../lib/validate.js'
import { mayUseApp } from './accounts.js'
import { ADMIN_SCOPE } from './provider/access-tokens.js'
import * as queries from './apps.queries.js'

export const APP_TYPES = ['web', 'native', 'spa', 'machine'] as const satisfies AppType[]
/** Apps that cannot keep a secret (code on a device or in a browser): PKCE is their proof. */
const PUBLIC_TYPES: readonly AppType[] = ['native', 'spa']

// A redirect URI is compared exactly: no wildcard, no fragment (RFC 6749 3.1.2). Native apps may
// use a private-use scheme (RFC 8252 7.1: reverse domain, "com.example.app:/cb") or loopback.
const RedirectUri = z
  .string()
  .max(2000)
  .refine((value) => {
    if (!URL.canParse(value) || value.includes('*')) return false
    const url = new URL(value)
    return url.hash === '' && !url.username && !url.password
  }, 'an absolute URI without "*", fragment or credentials')

// The store's home opens the app here: a web page (https, or http on loopback) or a native app's
// private-use scheme. Never javascript:, data: or file: (the home page renders it as a link).
const LaunchUrl = z
  .string()
  .max(2000)
  .refine((value) => {
    if (!URL.canParse(value)) return false
    const url = new URL(value)
    if (url.username || url.password) return false
    if (url.protocol === 'https:') return true
    if (url.protocol === 'http:') return isLoopback(url)
    return /^[a-z][a-z0-9+.-]*\.[a-z0-9+.-]+:$/.test(url.protocol)
  }, 'https (http on localhost) or a native app\'s private-use scheme ("com.example.app:/open")')
  .describe('Where the store’s home page opens the app for the people who may use it.')

const isLoopback = (url: URL) =>
  ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname) || url.hostname.endsWith('.localhost')

function checkUris(type: AppType, uris: string[], ctx: z.RefinementCtx, path: string) {
  uris.forEach((value, i) => {
    if (!URL.canParse(value)) return
    const url = new URL(value)
    const web = url.protocol === 'https:' || (url.protocol === 'http:' && isLoopback(url))
    const privateScheme = /^[a-z][a-z0-9+.-]*\.[a-z0-9+.-]+:$/.test(url.protocol)
    const ok =
      type === 'native' ? privateScheme || (url.protocol === 'http:' && isLoopback(url)) : web
    if (!ok) {
      ctx.addIssue({
        code: 'custom',
        path: [path, i],
        message:
          type === 'native'
            ? 'a native app redirects to a private-use scheme ("com.example.app:/callback") or to loopback'
            : 'https, or http on localhost',
      })
    }
  })
}

const Fields = {
  name: z.string().trim().min(1).max(200),
  redirectUris: z.array(RedirectUri).max(20),
  postLogoutRedirectUris: z.array(RedirectUri).max(20),
  product: z.string().trim().min(1).max(100).nullable(),
  launchUrl: LaunchUrl.nullable(),
  /** A machine app that may ask for the `gateway:admin` scope and call the admin API. */
  adminApi: z.boolean(),
}

export const CreateAppInput = z
  .strictObject({
    name: Fields.name,
    type: z.enum(APP_TYPES),
    redirectUris: Fields.redirectUris.default([]),
    postLogoutRedirectUris: Fields.postLogoutRedirectUris.default([]),
    product: Fields.product.optional(),
    launchUrl: Fields.launchUrl.optional(),
    adminApi: Fields.adminApi.default(false),
  })
  .superRefine((input, ctx) => {
    if (input.adminApi && input.type !== 'machine')
      ctx.addIssue({
        code: 'custom',
        path: ['adminApi'],
        message: 'only a machine app may call the admin API (a person signs in to the console)',
      })
    if (input.type === 'machine') {
      if (input.launchUrl)
        ctx.addIssue({
          code: 'custom',
          path: ['launchUrl'],
          message: 'a machine app has no page to open',
        })
      if (input.redirectUris.length || input.postLogoutRedirectUris.length)
        ctx.addIssue({
          code: 'custom',
          path: ['redirectUris'],
          message: 'a machine app signs nobody in: no redirect URIs',
        })
      return
    }
    if (!input.redirectUris.length)
      ctx.addIssue({ code: 'custom', path: ['redirectUris'], message: 'at least one redirect URI' })
    checkUris(input.type, input.redirectUris, ctx, 'redirectUris')
    checkUris(input.type, input.postLogoutRedirectUris, ctx, 'postLogoutRedirectUris')
  })
export type CreateAppInput = z.input<typeof CreateAppInput>

export const UpdateAppInput = z.strictObject({
  name: Fields.name.optional(),
  redirectUris: Fields.redirectUris.optional(),
  postLogoutRedirectUris: Fields.postLogoutRedirectUris.optional(),
  product: Fields.product.optional(),
  launchUrl: Fields.launchUrl.optional(),
  adminApi: Fields.adminApi.optional(),
})
export type UpdateAppInput = z.input<typeof UpdateAppInput>

type AppRow = Awaited<ReturnType<typeof queries.listApps>>[number]

export function toApp(row: AppRow) {
  return {
    clientId: row.client_id,
    name: row.name,
    type: row.type,
    public: PUBLIC_TYPES.includes(row.type),
    redirectUris: row.redirect_uris,
    postLogoutRedirectUris: row.post_logout_redirect_uris,
    product: row.product,
    launchUrl: row.launch_url,
    adminApi: row.admin_api,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }
}
export type App = ReturnType<typeof toApp>

const newSecret = () => `gws_${newToken()}`

/** A new app; a confidential one gets its secret here, the only time it is ever shown. */
export async function createApp(db: Db, tenantId: string, input: CreateAppInput) {
  const app = parse(CreateAppInput, input)
  const secret = PUBLIC_TYPES.includes(app.type) ? undefined : newSecret()
  const row = await queries.insertApp(db, {
    tenant_id: tenantId,
    client_id: `app_${randomBytes(12).toString('base64url')}`,
    name: app.name,
    type: app.type,
    redirect_uris: JSON.stringify(app.redirectUris),
    post_logout_redirect_uris: JSON.stringify(app.postLogoutRedirectUris),
    product: app.product ?? null,
    launch_url: app.launchUrl ?? null,
    admin_api: app.adminApi,
    secret_hash: secret ? hashToken(secret) : null,
  })
  return { ...toApp(row), ...(secret && { clientSecret: secret }) }
}

export const listApps = async (db: Db, tenantId: string) =>
  (await queries.listApps(db, tenantId)).map(toApp)

/** What the store's home offers a membership: apps with a launch URL it may use. */
export async function launchableApps(
  db: Db,
  tenantId: string,
  membership: { kind: 'member' | 'guest'; products: string[] },
) {
  return (await listApps(db, tenantId)).flatMap((app) =>
    app.launchUrl && app.type !== 'machine' && mayUseApp(membership, app)
      ? [{ name: app.name, launchUrl: app.launchUrl }]
      : [],
  )
}

export async function getApp(db: Db, tenantId: string, clientId: string): Promise<App> {
  const row = await queries.findApp(db, tenantId, clientId)
  if (!row) throw new AppError('not_found', 'There is no such app in this tenant.')
  return toApp(row)
}

export async function updateApp(db: Db, tenantId: string, clientId: string, input: UpdateAppInput) {
  const changes = parse(UpdateAppInput, input)
  const current = await getApp(db, tenantId, clientId)
  // The merged app must still be valid for its type (e.g. a web app keeps a redirect URI).
  parse(CreateAppInput, {
    name: changes.name ?? current.name,
    type: current.type,
    redirectUris: changes.redirectUris ?? current.redirectUris,
    postLogoutRedirectUris: changes.postLogoutRedirectUris ?? current.postLogoutRedirectUris,
    product: changes.product === undefined ? current.product : changes.product,
    launchUrl: changes.launchUrl === undefined ? current.launchUrl : changes.launchUrl,
    adminApi: changes.adminApi ?? current.adminApi,
  })
  const row = await queries.updateApp(db, tenantId, clientId, {
    ...(changes.name !== undefined && { name: changes.name }),
    ...(changes.redirectUris && { redirect_uris: JSON.stringify(changes.redirectUris) }),
    ...(changes.postLogoutRedirectUris && {
      post_logout_redirect_uris: JSON.stringify(changes.postLogoutRedirectUris),
    }),
    ...(changes.product !== undefined && { product: changes.product }),
    ...(changes.launchUrl !== undefined && { launch_url: changes.launchUrl }),
    ...(changes.adminApi !== undefined && { admin_api: changes.adminApi }),
  })
  if (!row) throw new AppError('not_found', 'There is no such app in this tenant.')
  return toApp(row)
}

/** Deletes the app and, in the same commit, revokes every token it holds (RFC 7009 2.1). */
export async function deleteApp(db: Db, tenantId: string, clientId: string): Promise<void> {
  const remove = async (tx: Db) => {
    if (!(await queries.deleteApp(tx, tenantId, clientId)))
      throw new AppError('not_found', 'There is no such app in this tenant.')
    await queries.deleteArtefactsOfApp(tx, tenantId, clientId)
  }
  await (db.isTransaction ? remove(db) : db.transaction().execute(remove))
}

/** A new secret for a confidential app; the old one stops working at once. */
export async function rotateAppSecret(db: Db, tenantId: string, clientId: string) {
  const app = await getApp(db, tenantId, clientId)
  if (app.public)
    throw new AppError('invalid_request', 'A public app has no secret: it proves itself with PKCE.')
  const secret = newSecret()
  await queries.updateApp(db, tenantId, clientId, { secret_hash: hashToken(secret) })
  return { ...app, clientSecret: secret }
}

/** The client metadata oidc-provider expects for an app (RFC 7591 names). */
const APP_SCOPES = ['openid', 'profile', 'email']

export function clientMetadata(row: NonNullable<Awaited<ReturnType<typeof queries.findClient>>>) {
  const common = {
    client_id: row.client_id,
    client_name: row.name,
    // The provider compares a presented secret with this digest (see provider.ts).
    ...(row.secret_hash && { client_secret: Buffer.from(row.secret_hash).toString('base64url') }),
  }
  if (row.type === 'machine') {
    return {
      ...common,
      // The scopes it may ask for: `gateway:admin` only when registered for the admin API.
      scope: [...APP_SCOPES, ...(row.admin_api ? [ADMIN_SCOPE] : [])].join(' '),
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_basic',
    }
  }
  return {
    ...common,
    // Never `gateway:admin`: a person's token does not call the admin API (the console does).
    scope: [...APP_SCOPES, 'offline_access'].join(' '),
    application_type: row.type === 'native' ? 'native' : 'web',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: row.redirect_uris,
    post_logout_redirect_uris: row.post_logout_redirect_uris,
    token_endpoint_auth_method: PUBLIC_TYPES.includes(row.type) ? 'none' : 'client_secret_basic',
  }
}

export const findClient = queries.findClient
