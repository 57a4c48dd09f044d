import crypto from 'node:crypto'

/**
 * Tracking tokens: what an open pixel, a click, an unsubscribe or a mirror-page link refers to, signed
 * with HMAC-SHA256 so nobody can forge or alter one. Compact and URL-safe: `42.1234.3.<signature>`
 * (delivery, profile, link number for clicks, then 22 base64url characters: 128 bits of the MAC).
 */

export const trackingKinds = ['open', 'click', 'unsubscribe', 'mirror'] as const
export type TrackingKind = (typeof trackingKinds)[number]

export interface TrackingTarget {
  kind: TrackingKind
  deliveryId: number
  profileId: number
  /** Which tracked URL of the delivery; clicks only. */
  linkNo?: number
}

const signatureLength = 22

function signature(secret: string, kind: TrackingKind, payload: string): string {
  return crypto
    .createHmac('sha256', secret)
    .update(`${kind}:${payload}`)
    .digest('base64url')
    .slice(0, signatureLength)
}

export function signToken(secret: string, target: TrackingTarget): string {
  const payload = [target.deliveryId, target.profileId, ...(target.kind === 'click' ? [target.linkNo] : [])]
    .map(String)
    .join('.')
  return `${payload}.${signature(secret, target.kind, payload)}`
}

/** The target of a genuine token of this kind; null for anything forged, altered or malformed. */
export function verifyToken(secret: string, kind: TrackingKind, token: string): TrackingTarget | null {
  const parts = token.split('.')
  const numbers = kind === 'click' ? 3 : 2
  if (parts.length !== numbers + 1 || !parts.slice(0, numbers).every((n) => /^[1-9]\d{0,9}$/.test(n)))
    return null
  const given = Buffer.from(parts[numbers])
  const expected = Buffer.from(signature(secret, kind, parts.slice(0, numbers).join('.')))
  if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected)) return null
  const [deliveryId, profileId, linkNo] = parts.slice(0, numbers).map(Number)
  return kind === 'click' ? { kind, deliveryId, profileId, linkNo } : { kind, deliveryId, profileId }
}
