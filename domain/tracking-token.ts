import crypto from 'node:crypto'

/**
 * Tracking tokens: what an open pixel, a click, an unsubscribe or a mirror-page link refers to. Nobody
 * can forge or alter one, and none shows what it refers to: the kind, delivery, profile and link number
 * are encrypted, deterministically, under a key derived from the tracking secret, with 128 bits of
 * HMAC-SHA256 as the IV (the SIV construction): 39 URL-safe characters, the same for the same link.
 *
 * Tokens made before (`42.1234.3.<signature>`: ids in clear, then 128 bits of HMAC) are still accepted,
 * so links already in mailboxes keep working.
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

const macLength = 16
/** kind (1 byte), delivery, profile, link number (4 bytes each, big-endian) */
const plainLength = 13
const tokenPattern = /^[A-Za-z0-9_-]{39}$/
const maxNumber = 0xffffffff

interface Keys {
  encryption: Buffer
  mac: Buffer
}

let derived: { secret: string; keys: Keys } | null = null

/** Two keys from the one secret, each for its own use; derived once per secret. */
function keysOf(secret: string): Keys {
  if (derived?.secret !== secret) {
    const derive = (use: string) => crypto.createHmac('sha256', secret).update(`herald-token/${use}`).digest()
    derived = { secret, keys: { encryption: derive('encryption'), mac: derive('mac') } }
  }
  return derived.keys
}

function plaintext(target: TrackingTarget): Buffer {
  const plain = Buffer.alloc(plainLength)
  plain.writeUInt8(trackingKinds.indexOf(target.kind), 0)
  plain.writeUInt32BE(target.deliveryId, 1)
  plain.writeUInt32BE(target.profileId, 5)
  plain.writeUInt32BE(target.kind === 'click' ? (target.linkNo ?? 0) : 0, 9)
  return plain
}

const mac = (keys: Keys, plain: Buffer) =>
  crypto.createHmac('sha256', keys.mac).update(plain).digest().subarray(0, macLength)

const ctr = (keys: Keys, iv: Buffer, data: Buffer) => {
  const cipher = crypto.createCipheriv('aes-256-ctr', keys.encryption, iv)
  return Buffer.concat([cipher.update(data), cipher.final()])
}

export function signToken(secret: string, target: TrackingTarget): string {
  const ids = [target.deliveryId, target.profileId, ...(target.kind === 'click' ? [target.linkNo] : [])]
  for (const n of ids)
    if (!Number.isInteger(n) || n! < 1 || n! > maxNumber) throw new RangeError(`not an id: ${n}`)
  const keys = keysOf(secret)
  const plain = plaintext(target)
  const iv = mac(keys, plain)
  return Buffer.concat([iv, ctr(keys, iv, plain)]).toString('base64url')
}

/** The target of a genuine token of this kind; null for anything forged, altered or malformed. */
export function verifyToken(secret: string, kind: TrackingKind, token: string): TrackingTarget | null {
  if (token.includes('.')) return verifyLegacyToken(secret, kind, token)
  if (!tokenPattern.test(token)) return null
  const bytes = Buffer.from(token, 'base64url')
  const keys = keysOf(secret)
  const iv = bytes.subarray(0, macLength)
  const plain = ctr(keys, iv, bytes.subarray(macLength))
  if (!crypto.timingSafeEqual(iv, mac(keys, plain))) return null
  if (plain.readUInt8(0) !== trackingKinds.indexOf(kind)) return null
  const deliveryId = plain.readUInt32BE(1)
  const profileId = plain.readUInt32BE(5)
  return kind === 'click'
    ? { kind, deliveryId, profileId, linkNo: plain.readUInt32BE(9) }
    : { kind, deliveryId, profileId }
}

// ── Tokens made before opaque ones ─────────────────────────────────────────────────────────────

const legacySignatureLength = 22

function legacySignature(secret: string, kind: TrackingKind, payload: string): string {
  return crypto
    .createHmac('sha256', secret)
    .update(`${kind}:${payload}`)
    .digest('base64url')
    .slice(0, legacySignatureLength)
}

/** A token as Herald made them before: `delivery.profile[.link].signature`, for links already sent. */
export function signLegacyToken(secret: string, target: TrackingTarget): string {
  const payload = [target.deliveryId, target.profileId, ...(target.kind === 'click' ? [target.linkNo] : [])]
    .map(String)
    .join('.')
  return `${payload}.${legacySignature(secret, target.kind, payload)}`
}

function verifyLegacyToken(secret: string, kind: TrackingKind, token: string): TrackingTarget | null {
  const parts = token.split('.')
  const numbers = kind === 'click' ? 3 : 2
  if (parts.length !== numbers + 1 || !parts.slice(0, numbers).every((n) => /^[1-9]\d{0,9}$/.test(n)))
    return null
  const given = Buffer.from(parts[numbers])
  const expected = Buffer.from(legacySignature(secret, kind, parts.slice(0, numbers).join('.')))
  if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected)) return null
  const [deliveryId, profileId, linkNo] = parts.slice(0, numbers).map(Number)
  return kind === 'click' ? { kind, deliveryId, profileId, linkNo } : { kind, deliveryId, profileId }
}
