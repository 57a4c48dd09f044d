import { compileTrackedHtml } from '../../domain/tracked-links'
import { startHarness, type Harness } from '../support/harness'
import { messageTo, sentTrackedDelivery, trackingLinks } from '../support/tracked-delivery'

/**
 * Issue 16, item 3: link tracking found anchors with a regular expression whose time grew with the square
 * of the HTML (96,000 characters took about a second), in the worker at preparation and in every batch,
 * and in the API on every mirror-page hit. A tokenizer reads it in one pass.
 */

/**
 * HTML that made the old expression backtrack: after one real link, anchors that never close (any later
 * match would let it run on to that match in one pass).
 */
const hostileShapes = ['<a ', '<a\t', '<a  href', '<a x']
const realLink = '<a href="https://example.com/real">real</a>'
const hostile = (unit: string, size: number) =>
  realLink + unit.repeat(Math.ceil(size / unit.length)).slice(0, size - realLink.length)

/**
 * CPU microseconds per character of finding the links of `html`, running over at least `characters`:
 * CPU time, not wall time, so that other processes on the machine do not count.
 */
function cpuPerCharacter(html: string, characters: number): number {
  const started = process.cpuUsage()
  let done = 0
  while (done < characters) {
    compileTrackedHtml(html)
    done += html.length
  }
  const { user, system } = process.cpuUsage(started)
  return (user + system) / done
}

describe('link tracking in linear time', () => {
  test('finding links costs about the same per character for 8 KB and 128 KB of hostile HTML', () => {
    const n = 8_000
    const sample = 2_000_000
    // Generous, so that a loaded machine cannot fail it: linear time gives about 1, the old expression 16.
    const allowedRatio = 4
    for (const unit of hostileShapes) {
      const small = hostile(unit, n)
      const large = hostile(unit, 16 * n)
      expect(compileTrackedHtml(large).links).toEqual([{ linkNo: 1, url: 'https://example.com/real' }])
      // The best of up to ten samples each, taken in turns so that a busy moment slows both alike (the
      // old expression took half a minute a round here: it gets a minute).
      let ratio = Infinity
      const best = { small: Infinity, large: Infinity }
      const began = performance.now()
      for (let round = 0; round < 10 && ratio > allowedRatio && performance.now() - began < 60_000; round++) {
        best.small = Math.min(best.small, cpuPerCharacter(small, sample))
        best.large = Math.min(best.large, cpuPerCharacter(large, sample))
        ratio = Math.round((best.large / best.small) * 100) / 100
      }
      expect({ unit, ratio, linear: ratio <= allowedRatio }).toEqual({ unit, ratio, linear: true })
    }
  })

  describe('through the server', () => {
    let h: Harness
    beforeAll(async () => {
      h = await startHarness()
    })
    afterAll(() => h?.close())

    test('a delivery whose 1,000,000-character body is hostile is prepared, sent, and its mirror page shown', async () => {
      const greeting = '<p>Hi {{firstName}}</p>'
      const html = greeting + hostile('<a  href', 1_000_000 - greeting.length)
      expect(html).toHaveLength(1_000_000)
      const { id, ids } = await sentTrackedDelivery(h, 1, { html })
      const urls = (await h.api('GET', `/api/deliveries/${id}/tracked-urls`, { as: 'viewer' })).body.items
      expect(urls).toEqual([expect.objectContaining({ linkNo: 1, url: 'https://example.com/real' })])
      const links = trackingLinks(await messageTo(h, id, ids[0]))
      expect(links.clicks).toHaveLength(1)
      const mirror = await h.app.request(links.mirror)
      expect(mirror.status).toBe(200)
      expect(await mirror.text()).toContain(links.clicks[0].split('/').pop())
      const clicked = await h.app.request(links.clicks[0])
      expect(clicked.headers.get('location')).toBe('https://example.com/real')
    }, 120_000)
  })
})
