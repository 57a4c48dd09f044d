import fc from 'fast-check'
import { signToken, verifyToken, trackingKinds, type TrackingTarget } from '../../domain/tracking-token'

const secret = 'a-test-secret-of-enough-length'

describe('tracking tokens', () => {
  test('a signed token verifies back to its delivery, profile and link', () => {
    const click: TrackingTarget = { kind: 'click', deliveryId: 42, profileId: 1234, linkNo: 3 }
    expect(verifyToken(secret, 'click', signToken(secret, click))).toEqual(click)
    const open: TrackingTarget = { kind: 'open', deliveryId: 42, profileId: 1234 }
    expect(verifyToken(secret, 'open', signToken(secret, open))).toEqual(open)
  })

  test('tokens are compact and URL-safe', () => {
    const token = signToken(secret, {
      kind: 'click',
      deliveryId: 2147483647,
      profileId: 2147483647,
      linkNo: 99,
    })
    expect(token).toMatch(/^[0-9.A-Za-z_-]+$/)
    expect(token.length).toBeLessThan(60)
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

  test('another link, profile or delivery cannot borrow a signature', () => {
    const token = signToken(secret, { kind: 'click', deliveryId: 7, profileId: 8, linkNo: 1 })
    const signature = token.split('.').pop()
    for (const payload of ['7.8.2', '7.9.1', '6.8.1', '70.8.1']) {
      expect(verifyToken(secret, 'click', `${payload}.${signature}`)).toBeNull()
    }
  })

  test('a token of one kind is refused as another kind', () => {
    for (const kind of trackingKinds.filter((k) => k !== 'click')) {
      const token = signToken(secret, { kind, deliveryId: 7, profileId: 8 })
      for (const other of trackingKinds.filter((k) => k !== kind && k !== 'click')) {
        expect(verifyToken(secret, other, token)).toBeNull()
      }
    }
  })

  test('a token signed with another secret, or malformed, is refused', () => {
    const token = signToken('another-secret-entirely!', { kind: 'open', deliveryId: 7, profileId: 8 })
    expect(verifyToken(secret, 'open', token)).toBeNull()
    for (const junk of ['', '.', '7.8', '7.8.', 'x.8.abc', '07.8.abcdefghijklmnopqrstuv', '7.8.9.abc']) {
      expect(verifyToken(secret, 'open', junk)).toBeNull()
    }
  })
})
