import crypto from 'node:crypto'

/**
 * Webhook signatures: `Herald-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>` over `<t>.<raw body>`,
 * keyed with the endpoint's secret. The timestamp is signed so a receiver can refuse a replayed request
 * (older than its tolerance); the body is signed byte for byte, so verify before parsing it.
 */

export const signatureHeader = 'herald-signature'

export function webhookSignature(secret: string, timestamp: number, body: string): string {
  return crypto.createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')
}

export function signatureHeaderValue(secret: string, timestamp: number, body: string): string {
  return `t=${timestamp},v1=${webhookSignature(secret, timestamp, body)}`
}

/**
 * The receiver's check: the header parses, its timestamp is within `toleranceSeconds` of `nowSeconds`,
 * and one of its `v1` signatures equals the HMAC of this body (compared in constant time).
 */
export function verifyWebhookSignature(
  secret: string,
  header: string | null | undefined,
  body: string,
  options: { nowSeconds?: number; toleranceSeconds?: number } = {},
): boolean {
  if (!header) return false
  const parts = header.split(',').map((part) => part.trim().split('='))
  const timestamp = Number(parts.find(([key]) => key === 't')?.[1])
  if (!Number.isInteger(timestamp)) return false
  const now = options.nowSeconds ?? Math.floor(Date.now() / 1000)
  if (Math.abs(now - timestamp) > (options.toleranceSeconds ?? 300)) return false
  const expected = Buffer.from(webhookSignature(secret, timestamp, body), 'hex')
  return parts
    .filter(([key, value]) => key === 'v1' && /^[0-9a-f]{64}$/.test(value ?? ''))
    .some(([, value]) => crypto.timingSafeEqual(Buffer.from(value, 'hex'), expected))
}
