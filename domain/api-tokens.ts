import crypto from 'node:crypto'

/** API tokens: random, shown once, stored only as their SHA-256 and compared in constant time. */

export const tokenPrefix = 'hrld_'

export function newToken(): string {
  return tokenPrefix + crypto.randomBytes(32).toString('base64url')
}

export function hashToken(token: string): string {
  return crypto.createHash('sha256').update(token).digest('hex')
}

/**
 * Compares a stored token hash with the hash of the token presented, in constant time: how long it
 * takes says nothing about how much of it matched. Hashes of another length (never stored) simply differ.
 */
export function sameTokenHash(stored: string, presented: string): boolean {
  const a = Buffer.from(stored)
  const b = Buffer.from(presented)
  if (a.length !== b.length) return false
  return crypto.timingSafeEqual(a, b)
}
