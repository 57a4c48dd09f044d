import crypto from 'node:crypto'
import { hashToken, newToken, sameTokenHash, tokenPrefix } from '../../domain/api-tokens'

describe('API tokens', () => {
  test('a token is stored as its SHA-256, which gives nothing of the token away', () => {
    const token = newToken()
    expect(token.startsWith(tokenPrefix)).toBe(true)
    expect(hashToken(token)).toBe(crypto.createHash('sha256').update(token).digest('hex'))
    expect(hashToken(token)).not.toContain(token.slice(tokenPrefix.length, tokenPrefix.length + 8))
  })

  test('hashes are compared in constant time, with crypto.timingSafeEqual', () => {
    const compare = jest.spyOn(crypto, 'timingSafeEqual')
    try {
      const hash = hashToken(newToken())
      expect(sameTokenHash(hash, hash)).toBe(true)
      expect(compare).toHaveBeenCalledTimes(1)
      const last = hash.slice(0, -1) + (hash.endsWith('0') ? '1' : '0')
      const first = (hash.startsWith('0') ? '1' : '0') + hash.slice(1)
      expect(sameTokenHash(hash, last)).toBe(false)
      expect(sameTokenHash(hash, first)).toBe(false)
      expect(compare).toHaveBeenCalledTimes(3)
    } finally {
      compare.mockRestore()
    }
  })

  test('a hash of another length is simply different, never an error', () => {
    const hash = hashToken(newToken())
    expect(sameTokenHash(hash, hash.slice(1))).toBe(false)
    expect(sameTokenHash(hash, '')).toBe(false)
    expect(
      sameTokenHash(hash, 'not hex at all, and longer than a SHA-256 in hex could ever be, surely'),
    ).toBe(false)
  })
})
