import crypto from 'node:crypto'
import net from 'node:net'
import type { Context } from 'hono'
import { deleteCookie, getCookie, getSignedCookie, setCookie, setSignedCookie } from 'hono/cookie'
import type { Database } from '../persistence/database'
import { createSession, deleteSession, findSession, type StoredSession } from '../persistence/sessions'
import { userForTokenId } from '../persistence/token-users'
import type { AuthUser } from '../domain/auth-user'

/**
 * Dashboard sessions: a signed, HttpOnly, SameSite=Strict cookie naming a session kept in the database
 * (persistence/sessions.ts), which names the API token the user logged in with (its id, never the
 * token). Every request looks the session and the token up again: logging out deletes the session,
 * revoking the token ends it. Forms carry a CSRF token derived from the session id; the login form, which
 * comes before any session, one derived from a login cookie of its own.
 */

export type Session = StoredSession

const sessionCookie = 'herald_session'
const loginCookie = 'herald_login'
const flashCookie = 'herald_flash'

export interface SessionOptions {
  secret: string
  ttlMs: number
  /** HTTPS: the cookie is only sent over TLS. */
  secure: boolean
}

const cookieOptions = (secure: boolean, maxAgeMs: number, path = '/') =>
  ({ httpOnly: true, sameSite: 'Strict', secure, path, maxAge: Math.floor(maxAgeMs / 1000) }) as const

export async function startSession(
  c: Context,
  db: Database,
  tokenId: number,
  options: SessionOptions,
): Promise<Session> {
  const session = await createSession(db, tokenId, options.ttlMs)
  await setSignedCookie(
    c,
    sessionCookie,
    session.id,
    options.secret,
    cookieOptions(options.secure, options.ttlMs),
  )
  return session
}

export async function readSession(c: Context, db: Database, secret: string): Promise<Session | null> {
  const id = await getSignedCookie(c, secret, sessionCookie)
  if (typeof id !== 'string' || !/^[\w-]{43}$/.test(id)) return null
  return findSession(db, id)
}

/** The session the request's cookie names and its user, as long as neither has ended (nor its token been revoked). */
export async function sessionUser(
  c: Context,
  db: Database,
  secret: string,
): Promise<{ session: Session; user: AuthUser } | null> {
  const session = await readSession(c, db, secret)
  const user = session && (await userForTokenId(db, session.tokenId))
  return session && user ? { session, user } : null
}

/** Logging out: the session ends on the server, whatever copies of the cookie exist. */
export async function endSession(c: Context, db: Database, session: Session, secure: boolean): Promise<void> {
  await deleteSession(db, session.id)
  deleteCookie(c, sessionCookie, { path: '/', secure })
}

const hmac = (secret: string, purpose: string, value: string) =>
  crypto.createHmac('sha256', secret).update(`${purpose}:${value}`).digest('base64url')

function sameToken(expected: string, given: unknown): boolean {
  if (typeof given !== 'string') return false
  const a = Buffer.from(expected)
  const b = Buffer.from(given)
  return a.length === b.length && crypto.timingSafeEqual(a, b)
}

export function csrfToken(secret: string, session: Session): string {
  return hmac(secret, 'csrf', session.id)
}

export function isValidCsrfToken(secret: string, session: Session, given: unknown): boolean {
  return sameToken(csrfToken(secret, session), given)
}

/**
 * The login form's CSRF token (login CSRF: a form elsewhere, even on Herald's own origin, must not log
 * the reader in with someone else's API token). The login page sets a random login cookie, read only by
 * Herald, and puts a token derived from it in its form; a login needs both.
 */
export async function loginFormToken(c: Context, options: SessionOptions, fresh = false): Promise<string> {
  let nonce = fresh ? undefined : await getSignedCookie(c, options.secret, loginCookie)
  if (typeof nonce !== 'string' || !/^[\w-]{22}$/.test(nonce)) {
    nonce = crypto.randomBytes(16).toString('base64url')
    await setSignedCookie(
      c,
      loginCookie,
      nonce,
      options.secret,
      cookieOptions(options.secure, options.ttlMs, '/login'),
    )
  }
  return hmac(options.secret, 'login', nonce)
}

/** Whether a login form came from this browser's login page; the login cookie serves once. */
export async function takeLoginFormToken(c: Context, secret: string, given: unknown, secure: boolean) {
  const nonce = await getSignedCookie(c, secret, loginCookie)
  deleteCookie(c, loginCookie, { path: '/login', secure })
  return typeof nonce === 'string' && sameToken(hmac(secret, 'login', nonce), given)
}

/**
 * Whether the browser reached Herald over HTTPS, for the cookies' `Secure` flag: Herald's public URL
 * says so, or the request itself, or `X-Forwarded-Proto` — believed only from a proxy listed in
 * HERALD_TRUST_PROXY, since anyone else can send that header.
 */
export function httpsDetector(publicUrl: string, trustProxy: readonly string[]): (c: Context) => boolean {
  const trusted = trustedProxies(trustProxy)
  const publicHttps = new URL(publicUrl).protocol === 'https:'
  return (c) => {
    if (publicHttps || new URL(c.req.url).protocol === 'https:') return true
    const peer = peerAddress(c)
    if (!peer || !trusted.check(peer, net.isIPv6(peer) ? 'ipv6' : 'ipv4')) return false
    const forwarded = c.req.header('x-forwarded-proto')?.split(',')[0].trim().toLowerCase()
    return forwarded === 'https'
  }
}

function trustedProxies(entries: readonly string[]): net.BlockList {
  const list = new net.BlockList()
  for (const entry of entries) {
    const [address, bits] = entry.split('/')
    const type = net.isIPv6(address) ? 'ipv6' : 'ipv4'
    if (bits === undefined) list.addAddress(address, type)
    else list.addSubnet(address, Number(bits), type)
  }
  return list
}

/** The address of the peer that sent the request (the Node server's socket), IPv4-mapped ones unwrapped. */
function peerAddress(c: Context): string | undefined {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined
  const address = env?.incoming?.socket?.remoteAddress
  return address?.startsWith('::ffff:') && net.isIPv4(address.slice(7)) ? address.slice(7) : address
}

/** A one-time notice shown on the next page (post, redirect, get). */
export interface Flash {
  kind: 'ok' | 'error'
  text: string
}

export function setFlash(c: Context, flash: Flash, secure: boolean): void {
  const value = Buffer.from(JSON.stringify(flash)).toString('base64url')
  setCookie(c, flashCookie, value, cookieOptions(secure, 60_000))
}

export function takeFlash(c: Context, secure: boolean): Flash | null {
  const value = getCookie(c, flashCookie)
  if (!value) return null
  deleteCookie(c, flashCookie, { path: '/', secure })
  try {
    const flash = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as Flash
    return (flash.kind === 'ok' || flash.kind === 'error') && typeof flash.text === 'string'
      ? { kind: flash.kind, text: flash.text.slice(0, 1000) }
      : null
  } catch {
    return null
  }
}
