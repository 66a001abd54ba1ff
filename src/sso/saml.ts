// The one module that loads @node-saml/node-saml (test/unit/architecture.test.ts): the SAML
// service provider of each directory. node-saml does the XML signature work; the checks it
// does not make (SECURITY-NOTES.md) are made here and in saml-xml.ts.
import { randomBytes } from 'node:crypto'
import { availableParallelism } from 'node:os'
import { extname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type Profile, SAML, ValidateInResponseTo } from '@node-saml/node-saml'
import { decryptXml } from '@node-saml/node-saml/lib/xml.js'
import * as z from 'zod'
import { workerPool } from '../lib/worker-pool.js'
import type { Tenant } from '../tenants/tenants.js'
import {
  type SamlConfig,
  type SamlDirectory,
  type SsoContext,
  type SsoStart,
  samlUrls,
} from './connection.js'
import type { IdpProfile } from './provisioning.js'
import { saveSsoRequest } from './requests.store.js'
import {
  checkAlgorithms,
  inspectResponse,
  parseXml,
  readAssertion,
  SamlRefusal,
  type VerifiedAssertion,
} from './saml-xml.js'
import { checkAssertion, mapSamlProfile } from './saml-assertion.js'
import { digestOf, RequestData, ticketForIdpInitiated, ticketForRequest } from './saml-ticket.js'
import { activeSpKey, type SpKey, spKeys } from './sp-keys.js'

export { checkSamlDirectory } from './saml-check.js'
export { continueSamlSignIn, type SamlContinue } from './saml-ticket.js'

const REQUEST_TTL_MS = 10 * 60_000

/** node-saml with one more step: the assertion's facts, read from its verified bytes. */
class ServiceProvider extends SAML {
  verified: VerifiedAssertion | undefined
  // node-saml passes the assertion taken from the bytes the signature covers; the Response
  // around it may be unsigned, so nothing that identifies the person is read from it.
  protected override async processValidlySignedAssertionAsync(
    this: ServiceProvider,
    assertionXml: string,
    responseXml: string,
    inResponseTo: string | null,
  ): Promise<{ profile: Profile; loggedOut: boolean }> {
    const result = await super.processValidlySignedAssertionAsync(
      assertionXml,
      responseXml,
      inResponseTo,
    )
    this.verified = readAssertion(assertionXml)
    return result
  }
}

// Every security-relevant option is spelled out; node-saml's defaults (SHA-1 request
// signatures, InResponseTo never checked, a request cache in process memory) are not inherited.
function serviceProvider(
  ctx: Pick<SsoContext, 'clockSkewSeconds'>,
  input: { config: SamlConfig; entityId: string; acsUrl: string },
  keys: { signing?: SpKey; decryption?: string | undefined; requestId?: string; forceAuthn?: true },
) {
  const { idp } = input.config
  return new ServiceProvider({
    issuer: input.entityId,
    audience: input.entityId,
    callbackUrl: input.acsUrl,
    entryPoint: idp.ssoUrl,
    idpCert: idp.certificates, // several while the IdP rolls its certificate over
    // The assertion holds every fact we use: it must be signed, whatever else is.
    wantAssertionsSigned: true,
    wantAuthnResponseSigned: false,
    signatureAlgorithm: 'sha256',
    digestAlgorithm: 'sha256',
    ...(keys.signing && { privateKey: keys.signing.privateKey }),
    ...(keys.decryption && { decryptionPvk: keys.decryption }),
    // InResponseTo is consumed from the database below (any process, single use), not from
    // node-saml's per-process cache.
    validateInResponseTo: ValidateInResponseTo.never,
    acceptedClockSkewMs: ctx.clockSkewSeconds * 1000,
    identifierFormat: null, // the IdP's configured NameID format
    disableRequestedAuthnContext: true, // any way the IdP signs people in (MFA, Kerberos...)
    authnRequestBinding: 'HTTP-Redirect',
    ...(keys.requestId && { generateUniqueId: () => keys.requestId! }),
    // SAML core 2.0 §3.4.1: the app asked for a fresh sign-in; the IdP's session will not do.
    ...(keys.forceAuthn && { forceAuthn: true }),
  })
}

/**
 * The IdP URL (HTTP-Redirect binding, signed AuthnRequest) that starts this sign-in, bound to
 * `browser` (the value of its http/sso-browser.ts cookie).
 */
export async function beginSamlSignIn(
  ctx: SsoContext,
  input: {
    tenant: Tenant
    directory: SamlDirectory
    host: string
    start: SsoStart
    browser: string
  },
  now = new Date(),
): Promise<string> {
  const { tenant, directory, host, start } = input
  const urls = samlUrls(tenant, directory, host)
  const signing = await activeSpKey(ctx, directory.id, now)
  const requestId = `_${randomBytes(20).toString('hex')}`
  const data: z.input<typeof RequestData> = {
    returnTo: start.returnTo,
    ...(start.invitationId && { invitationId: start.invitationId }),
    acsUrl: urls.acsUrl,
    host,
    browser: digestOf(input.browser),
  }
  await saveSsoRequest(ctx.db, {
    id: requestId,
    tenantId: tenant.id,
    directoryId: directory.id,
    data,
    expiresAt: new Date(now.getTime() + REQUEST_TTL_MS),
  })
  const sp = serviceProvider(
    ctx,
    { config: directory.config, ...urls },
    { signing, requestId, ...(start.fresh && { forceAuthn: true }) },
  )
  return sp.getAuthorizeUrlAsync('', undefined, {})
}

export type SamlSignIn =
  { ok: true; ticket: string } | { ok: false; refusal: { reason: string; detail?: string } }

/**
 * The ACS: a POSTed SAMLResponse checked to the end, or the reason it is refused. What it
 * proves is kept under a single-use ticket for continueSamlSignIn (saml-ticket.ts), where the
 * browser that started the sign-in is recognised: nobody is signed in by this POST itself.
 */
export async function finishSamlSignIn(
  ctx: SsoContext,
  input: {
    tenant: Tenant
    directory: SamlDirectory
    host: string
    samlResponse: string
    relayState?: string | undefined
  },
  now = new Date(),
): Promise<SamlSignIn> {
  try {
    return { ok: true, ticket: await verify(ctx, input, now) }
  } catch (error) {
    // Anything else (the database gone, a bug) is not the IdP's doing: the error handler's.
    if (!(error instanceof SamlRefusal)) throw error
    return { ok: false, refusal: { reason: error.reason, detail: error.message } }
  }
}

/**
 * What the ACS hands a validation worker: the response and everything needed to check it,
 * nothing else (no database, no secrets but the SP keys an encrypted assertion needs).
 */
export type ValidationJob = {
  samlResponse: string
  config: SamlConfig
  entityId: string
  acsUrl: string
  skewSeconds: number
  nowMs: number
  /** SP private keys (PEM) to open an EncryptedAssertion; absent until one is met. */
  decryptionKeys?: string[]
}
export type ValidationOutcome =
  | {
      kind: 'verified'
      requestId: string | undefined
      assertion: { id: string; keepUntilMs: number }
      profile: IdpProfile
    }
  | { kind: 'needs_keys' }
  | { kind: 'refused'; reason: string; detail: string }

/**
 * The response checked to the end (node-saml's signature work and every rule it leaves to us),
 * with no I/O: run by the workers of saml.worker.ts, off the main thread.
 */
export async function validateSamlResponse(job: ValidationJob): Promise<ValidationOutcome> {
  try {
    return await validate(job)
  } catch (error) {
    if (!(error instanceof SamlRefusal)) throw error
    return { kind: 'refused', reason: error.reason, detail: error.message }
  }
}

async function validate(job: ValidationJob): Promise<ValidationOutcome> {
  const { config, acsUrl } = job
  if (!/^[A-Za-z0-9+/=\r\n]+$/.test(job.samlResponse))
    throw new SamlRefusal('malformed', 'SAMLResponse is not base64')
  const response = inspectResponse(Buffer.from(job.samlResponse, 'base64').toString('utf8'))
  let decryption: string | undefined
  if (response.encryptedAssertion) {
    if (!job.decryptionKeys) return { kind: 'needs_keys' }
    decryption = await decryptionKey(job.decryptionKeys, response.encryptedAssertion)
  }
  const sp = serviceProvider(
    { clockSkewSeconds: job.skewSeconds },
    { config, entityId: job.entityId, acsUrl },
    { decryption },
  )
  await sp.validatePostResponseAsync({ SAMLResponse: job.samlResponse }).catch(refusal)
  const verified = sp.verified
  if (!verified) throw new SamlRefusal('malformed', 'no assertion')
  const { requestId, keepUntil } = checkAssertion(response, verified, {
    acsUrl,
    idpEntityId: config.idp.entityId,
    now: new Date(job.nowMs),
    skewSeconds: job.skewSeconds,
  })
  const profile = mapSamlProfile(config, verified)
  return {
    kind: 'verified',
    requestId,
    assertion: { id: verified.id, keepUntilMs: keepUntil.getTime() },
    profile,
  }
}

// One pool per process, as many workers as cores: the main thread serves HTTP and the database
// meanwhile (bench/sso.ts measures it).
let validators: ReturnType<typeof workerPool<ValidationJob, ValidationOutcome>> | undefined
const validator = () =>
  (validators ??= workerPool(
    new URL(`./saml.worker${extname(fileURLToPath(import.meta.url))}`, import.meta.url),
    availableParallelism(),
  ))

async function verify(
  ctx: SsoContext,
  input: Parameters<typeof finishSamlSignIn>[1],
  now: Date,
): Promise<string> {
  const { tenant, directory, host } = input
  const { config } = directory
  // The ACS of the host this POST came to: the one its AuthnRequest named, for SP-initiated.
  const urls = samlUrls(tenant, directory, host)
  const job: ValidationJob = {
    samlResponse: input.samlResponse,
    config,
    entityId: urls.entityId,
    acsUrl: urls.acsUrl,
    skewSeconds: ctx.clockSkewSeconds,
    nowMs: now.getTime(),
  }
  let outcome = await validator().run(job)
  // Encrypted for us: again with the directory's SP keys (the active one, or one the IdP still
  // had from older metadata).
  if (outcome.kind === 'needs_keys') {
    const decryptionKeys = (await spKeys(ctx, directory.id, now)).map((k) => k.privateKey)
    outcome = await validator().run({ ...job, decryptionKeys })
  }
  if (outcome.kind === 'needs_keys') throw new SamlRefusal('undecryptable', 'no SP key')
  if (outcome.kind === 'refused') throw new SamlRefusal(outcome.reason, outcome.detail)
  const { requestId, profile } = outcome
  const assertion = { id: outcome.assertion.id, keepUntil: new Date(outcome.assertion.keepUntilMs) }
  // The request spent, the assertion recorded and the ticket kept: saml-ticket.ts.
  if (requestId)
    return ticketForRequest(
      ctx,
      { tenant, directory, requestId, acsUrl: urls.acsUrl, assertion, profile },
      now,
    )
  // IdP-initiated: nothing ties this response to a sign-in the person started here, so no
  // browser either (saml-ticket.ts: open to login CSRF by nature, hence off by default).
  if (!config.allowIdpInitiated) throw new SamlRefusal('idp_initiated')
  const returnTo = input.relayState ?? '/'
  return ticketForIdpInitiated(ctx, { tenant, directory, assertion, profile, returnTo }, now)
}

/** The SP key (PEM) the IdP encrypted for, among the directory's. */
async function decryptionKey(keys: string[], xml: string): Promise<string> {
  for (const key of keys) {
    const plain = await decryptXml(xml, key).catch(() => undefined)
    if (plain === undefined) continue
    // The assertion's own signature is only visible once decrypted: same algorithm rules.
    checkAlgorithms(parseXml(plain))
    return key
  }
  throw new SamlRefusal('undecryptable', 'no SP key opens the EncryptedAssertion')
}

// node-saml's refusals, named for the security log.
const LIBRARY_REASONS: [RegExp, string][] = [
  [/not yet valid/i, 'not_yet_valid'],
  [/expired/i, 'expired'],
  [/audience/i, 'wrong_audience'],
  [/signature|multiple assertions|referenced node|ID cannot refer/i, 'bad_signature'],
  [/decrypt|EncryptedAssertion/i, 'undecryptable'],
]
/** A node-saml error as a refusal: whatever it refuses, the response is not good. */
function refusal(error: unknown): never {
  if (error instanceof SamlRefusal) throw error // ours, from processValidlySignedAssertionAsync
  const message = error instanceof Error ? error.message : String(error)
  const reason = LIBRARY_REASONS.find(([pattern]) => pattern.test(message))?.[1]
  throw new SamlRefusal(reason ?? 'invalid_response', message)
}
