import fc from 'fast-check'
import {
  signLegacyToken,
  signToken,
  verifyToken,
  trackingKinds,
  type TrackingTarget,
} from '../../domain/tracking-token'
import { seededSecret } from '../support/seed'

const secret = seededSecret('tracking-token unit', 32)

describe('tracking tokens', () => {
  test('a signed token verifies back to its delivery, profile and link', () => {
    const click: TrackingTarget = { kind: 'click', deliveryId: 42, profileId: 1234, linkNo: 3 }
    expect(verifyToken(secret, 'click', signToken(secret, click))).toEqual(click)
    const open: TrackingTarget = { kind: 'open', deliveryId: 42, profileId: 1234 }
    expect(verifyToken(secret, 'open', signToken(secret, open))).toEqual(open)
  })

  test('tokens are compact, URL-safe and the same every time for the same link', () => {
    const target: TrackingTarget = {
      kind: 'click',
      deliveryId: 2147483647,
      profileId: 2147483647,
      linkNo: 99,
    }
    const token = signToken(secret, target)
    expect(token).toMatch(/^[A-Za-z0-9_-]{39}$/)
    expect(signToken(secret, target)).toBe(token)
  })

  test('a token shows no id: consecutive profiles get unrelated tokens', () => {
    const tokens = [1, 2, 3, 10, 11].map((profileId) =>
      signToken(secret, { kind: 'unsubscribe', deliveryId: 7, profileId }),
    )
    for (const token of tokens) expect(token).not.toMatch(/\./)
    // Consecutive profiles give unrelated tokens: no common prefix beyond chance.
    const commonPrefix = (a: string, b: string) => [...a].findIndex((ch, i) => ch !== b[i])
    for (let i = 1; i < tokens.length; i++) expect(commonPrefix(tokens[i - 1], tokens[i])).toBeLessThan(4)
  })

  test('any altered character is refused', () => {
    const token = signToken(secret, { kind: 'click', deliveryId: 7, profileId: 8, linkNo: 1 })
    fc.assert(
      fc.property(fc.nat(token.length - 1), fc.constantFrom(...'0123456789abcXYZ_-.'), (at, ch) => {
        const altered = token.slice(0, at) + ch + token.slice(at + 1)
        fc.pre(altered !== token)
        expect(verifyToken(secret, 'click', altered)).toBeNull()
      }),
    )
  })

  test('a token of one kind is refused as another kind', () => {
    for (const kind of trackingKinds) {
      const token = signToken(secret, { kind, deliveryId: 7, profileId: 8, linkNo: 1 })
      for (const other of trackingKinds.filter((k) => k !== kind)) {
        expect(verifyToken(secret, other, token)).toBeNull()
      }
    }
  })

  test('a token signed with another secret, or malformed, is refused', () => {
    const token = signToken(seededSecret('another'), { kind: 'open', deliveryId: 7, profileId: 8 })
    expect(verifyToken(secret, 'open', token)).toBeNull()
    for (const junk of [
      '',
      '.',
      '7.8',
      '7.8.',
      'x.8.abc',
      '07.8.abcdefghijklmnopqrstuv',
      '7.8.9.abc',
      'A'.repeat(39),
    ]) {
      expect(verifyToken(secret, 'open', junk)).toBeNull()
    }
  })

  test('ids out of range cannot be signed', () => {
    for (const profileId of [0, -1, 1.5, 2 ** 32])
      expect(() => signToken(secret, { kind: 'open', deliveryId: 1, profileId })).toThrow(RangeError)
    expect(() => signToken(secret, { kind: 'click', deliveryId: 1, profileId: 1 })).toThrow(RangeError)
  })
})

describe('tokens made before opaque ones', () => {
  test('links already sent keep working', () => {
    const click: TrackingTarget = { kind: 'click', deliveryId: 42, profileId: 1234, linkNo: 3 }
    const legacy = signLegacyToken(secret, click)
    expect(legacy).toMatch(/^42\.1234\.3\.[A-Za-z0-9_-]{22}$/)
    expect(verifyToken(secret, 'click', legacy)).toEqual(click)
  })

  test('another link, profile or delivery cannot borrow a signature', () => {
    const token = signLegacyToken(secret, { kind: 'click', deliveryId: 7, profileId: 8, linkNo: 1 })
    const signature = token.split('.').pop()
    for (const payload of ['7.8.2', '7.9.1', '6.8.1', '70.8.1']) {
      expect(verifyToken(secret, 'click', `${payload}.${signature}`)).toBeNull()
    }
    const unsubscribe = signLegacyToken(secret, { kind: 'unsubscribe', deliveryId: 7, profileId: 8 })
    expect(verifyToken(secret, 'mirror', unsubscribe)).toBeNull()
    expect(verifyToken(seededSecret('another'), 'unsubscribe', unsubscribe)).toBeNull()
  })
})
