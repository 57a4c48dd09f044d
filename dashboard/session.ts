import crypto from 'node:crypto'
import type { Context } from 'hono'
import { deleteCookie, getCookie, getSignedCookie, setCookie, setSignedCookie } from 'hono/cookie'

/**
 * Dashboard sessions: a signed, HttpOnly, SameSite=Strict cookie naming the API token the user logged
 * in with (its id, never the token) and a random nonce. Every request looks the token up again, so
 * revoking it ends the session. Forms carry a CSRF token derived from the nonce.
 */

export interface Session {
  tokenId: number
  nonce: string
  expiresAt: number
}

const sessionCookie = 'herald_session'
const flashCookie = 'herald_flash'

export interface SessionOptions {
  secret: string
  ttlMs: number
  /** HTTPS: the cookie is only sent over TLS. */
  secure: boolean
}

export async function startSession(c: Context, tokenId: number, options: SessionOptions): Promise<Session> {
  const session = {
    tokenId,
    nonce: crypto.randomBytes(16).toString('base64url'),
    expiresAt: Date.now() + options.ttlMs,
  }
  await setSignedCookie(
    c,
    sessionCookie,
    `${session.tokenId}.${session.nonce}.${session.expiresAt}`,
    options.secret,
    {
      httpOnly: true,
      sameSite: 'Strict',
      secure: options.secure,
      path: '/',
      maxAge: Math.floor(options.ttlMs / 1000),
    },
  )
  return session
}

export async function readSession(c: Context, secret: string): Promise<Session | null> {
  const value = await getSignedCookie(c, secret, sessionCookie)
  const match = typeof value === 'string' ? /^(\d+)\.([\w-]{22})\.(\d+)$/.exec(value) : null
  if (!match) return null
  const session = { tokenId: Number(match[1]), nonce: match[2], expiresAt: Number(match[3]) }
  return session.expiresAt > Date.now() ? session : null
}

export function endSession(c: Context, secure: boolean): void {
  deleteCookie(c, sessionCookie, { path: '/', secure })
}

export function csrfToken(secret: string, session: Session): string {
  return crypto.createHmac('sha256', secret).update(`csrf:${session.nonce}`).digest('base64url')
}

export function isValidCsrfToken(secret: string, session: Session, given: unknown): boolean {
  if (typeof given !== 'string') return false
  const expected = Buffer.from(csrfToken(secret, session))
  const actual = Buffer.from(given)
  return actual.length === expected.length && crypto.timingSafeEqual(actual, expected)
}

/** A one-time notice shown on the next page (post, redirect, get). */
export interface Flash {
  kind: 'ok' | 'error'
  text: string
}

export function setFlash(c: Context, flash: Flash, secure: boolean): void {
  const value = Buffer.from(JSON.stringify(flash)).toString('base64url')
  setCookie(c, flashCookie, value, { httpOnly: true, sameSite: 'Strict', secure, path: '/', maxAge: 60 })
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
