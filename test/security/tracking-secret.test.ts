import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import YAML from 'yaml'
import { loadConfig, requireTrackingSecret } from '../../config/env'
import { verifyToken } from '../../domain/tracking-token'
import { startHarness, type Harness } from '../support/harness'
import { seededSecret } from '../support/seed'
import { messageTo, sentTrackedDelivery, trackingLinks, trackingLogs } from '../support/tracked-delivery'

/**
 * Issue 16, item 1: a production started from the compose file signed tracking links with a public demo
 * secret, so anyone could forge links — unsubscribe any profile and read its address on the reply page,
 * ids being sequential. Now no demo, short or predictable secret signs anything, the reply page masks
 * the address, and tokens show no id.
 */
describe('the tracking secret', () => {
  const root = path.resolve(__dirname, '../..')

  test('the compose file supplies no tracking secret: unset, compose stops and says how to make one', () => {
    const compose = YAML.parse(fs.readFileSync(path.join(root, 'docker-compose.yml'), 'utf8')) as {
      services: Record<string, { environment?: Record<string, string> }>
    }
    for (const service of ['api', 'worker']) {
      const value = compose.services[service].environment?.HERALD_TRACKING_SECRET
      // `${VAR:?message}`: Compose refuses to start while VAR is unset or empty, printing the message.
      expect({ service, value }).toEqual({
        service,
        value: expect.stringMatching(/^\$\{HERALD_TRACKING_SECRET:\?[^}]*openssl rand[^}]*\}$/),
      })
    }
  })

  const refused = (secret: string) => () => loadConfig({ HERALD_TRACKING_SECRET: secret })

  test('the demo values ever published in Herald’s files are refused', () => {
    for (const demo of [
      'compose-demo-tracking-secret-change-me',
      'unit-test-tracking-secret',
      'a-test-secret-of-enough-length',
    ])
      expect(refused(demo)).toThrow(/HERALD_TRACKING_SECRET is a demo value/)
  })

  test('a secret shorter than 32 characters or with less than 128 bits of estimated entropy is refused, saying the rule', () => {
    const cases = [
      seededSecret('short', 18), // 24 random characters
      'x'.repeat(64),
      'ab'.repeat(32),
      '0123456789'.repeat(4),
    ]
    for (const secret of cases) {
      const error = (() => {
        try {
          refused(secret)()
          return null
        } catch (err) {
          return (err as Error).message
        }
      })()
      expect({ secret, error }).toEqual({
        secret,
        error: expect.stringMatching(/too (short|predictable).*at least 32 random characters.*128 bits/),
      })
      expect(error).not.toContain(secret)
    }
  })

  test('a generated secret is accepted, and one is required to sign links', () => {
    const generated = crypto.randomBytes(32).toString('base64')
    expect(loadConfig({ HERALD_TRACKING_SECRET: generated }).trackingSecret).toBe(generated)
    expect(() => requireTrackingSecret(loadConfig({}))).toThrow(/HERALD_TRACKING_SECRET must be set/)
  })

  describe('tracking links', () => {
    let h: Harness
    beforeAll(async () => {
      h = await startHarness()
    })
    afterAll(() => h?.close())

    test('the unsubscribe reply shows no address, only a masked one', async () => {
      const { id, ids } = await sentTrackedDelivery(h, 1)
      const email = (await h.api('GET', `/api/profiles/${ids[0]}`)).body.email as string
      const reply = await h.app.request(trackingLinks(await messageTo(h, id, ids[0])).unsubscribePage, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'List-Unsubscribe=One-Click',
      })
      expect(reply.status).toBe(200)
      const page = await reply.text()
      expect(page).not.toContain(email)
      expect(page).not.toContain(email.split('@')[0])
      expect(page).toContain(`${email[0]}•••@example.com`)
      expect((await trackingLogs(h, id)).items).toEqual([expect.objectContaining({ type: 'unsubscribe' })])
    })

    test('a link names no delivery or profile: its token is opaque', async () => {
      const { id, ids } = await sentTrackedDelivery(h, 2)
      for (const profileId of ids) {
        const links = trackingLinks(await messageTo(h, id, profileId))
        for (const url of [...links.clicks, links.mirror, links.unsubscribePage, links.pixel]) {
          const token = url.split('/').pop()!
          expect(token).toMatch(/^[A-Za-z0-9_-]{39}$/)
          expect(token).not.toContain('.')
        }
        const mirror = trackingLinks(await messageTo(h, id, profileId))
          .mirror.split('/')
          .pop()!
        expect(verifyToken(h.config.trackingSecret!, 'mirror', mirror)).toEqual({
          kind: 'mirror',
          deliveryId: id,
          profileId,
        })
      }
    })

    test('links sent before tokens were opaque keep working', async () => {
      const { id, ids } = await sentTrackedDelivery(h, 1)
      // The format Herald used to send: `delivery.profile.signature`, HMAC-SHA256 of `kind:payload`.
      const payload = `${id}.${ids[0]}`
      const signature = crypto
        .createHmac('sha256', h.config.trackingSecret!)
        .update(`mirror:${payload}`)
        .digest('base64url')
        .slice(0, 22)
      const page = await h.app.request(`/t/m/${payload}.${signature}`)
      expect(page.status).toBe(200)
      const forged = await h.app.request(`/t/m/${id}.${ids[0] + 1}.${signature}`)
      expect(forged.status).toBe(404)
    })
  })
})
