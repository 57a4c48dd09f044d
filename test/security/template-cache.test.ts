import Mustache from 'mustache'
import { isTemplateCached, templateCacheLimits } from '../../domain/personalisation'
import { importProfiles, startHarness, type Harness } from '../support/harness'

/**
 * Issue 16, item 4: Mustache kept every template it ever parsed for the life of the process (about 11
 * times the template's size each), so a few large deliveries exhausted the worker's heap. Parsed
 * templates are now kept within a bound, and a template over its size limit is refused.
 */
describe('parsed templates', () => {
  let h: Harness
  beforeAll(async () => {
    h = await startHarness()
  })
  afterAll(() => h?.close())

  /**
   * How many of these templates the process still holds parsed: in Herald's cache, or in Mustache's own
   * (whose key is the template and its tags), which held them all before.
   */
  const stillParsed = (templates: string[]) =>
    templates.filter((t) => isTemplateCached(t) || Mustache.templateCache?.get(`${t}:{{:}}`) !== undefined)
      .length

  test('preparing many deliveries with templates of their own keeps no more parsed templates than the bound', async () => {
    const [profile] = await importProfiles(h, 1)
    const count = 2 * templateCacheLimits.entries + 4
    const templates: string[] = []
    const ids: number[] = []
    for (let i = 0; i < count; i++) {
      const subject = `Offer ${i} for {{firstName}}`
      const text = `Hi {{firstName}}, offer number ${i} is yours.`
      templates.push(subject, text)
      const created = await h.api('POST', '/api/deliveries', {
        body: { label: `Offer ${i}`, subject, text, audience: { profileIds: [profile] } },
      })
      expect(created.status).toBe(201)
      ids.push(created.body.id)
    }
    // Preparation reads every template (its fields are checked): each one is parsed in this process.
    for (const id of ids) expect((await h.api('POST', `/api/deliveries/${id}/prepare`)).status).toBe(200)
    for (const id of ids) await h.waitForStatus(id, 'awaiting_approval')
    const held = stillParsed(templates)
    expect({ templates: templates.length, held }).toEqual({
      templates: 2 * count,
      held: expect.any(Number),
    })
    expect(held).toBeGreaterThan(0)
    expect(held).toBeLessThanOrEqual(templateCacheLimits.entries)
  })

  test('the characters of parsed templates kept stay within the bound, however large the templates', async () => {
    const [profile] = await importProfiles(h, 1)
    // 992,000 characters each, 62,000 fields
    const large = (i: number) => `{{firstName}} ${i} `.repeat(62_000)
    const texts = [1, 2, 3, 4].map(large)
    for (const text of texts) {
      const created = await h.api('POST', '/api/deliveries', {
        body: { label: 'Large', subject: 'Large {{firstName}}', text, audience: { profileIds: [profile] } },
      })
      expect(created.status).toBe(201)
      expect((await h.api('POST', `/api/deliveries/${created.body.id}/prepare`)).status).toBe(200)
      await h.waitForStatus(created.body.id, 'awaiting_approval')
    }
    const held = stillParsed(texts)
    expect(held).toBeGreaterThan(0)
    expect(held * texts[0].length).toBeLessThanOrEqual(templateCacheLimits.characters)
  })

  test('a template over its size limit is refused with 400 naming the field and the limit', async () => {
    const audience = { profileIds: [1] }
    const cases = [
      { field: 'subject', body: { subject: 's'.repeat(999), text: 't' }, limit: /at most 998 characters/ },
      {
        field: 'html',
        body: { subject: 's', html: 'h'.repeat(1_000_001) },
        limit: /at most 1,000,000 characters/,
      },
      {
        field: 'text',
        body: { subject: 's', text: 't'.repeat(1_000_001) },
        limit: /at most 1,000,000 characters/,
      },
    ]
    const before = (await h.api('GET', '/api/deliveries?pageSize=500', { as: 'viewer' })).body.total
    for (const { field, body, limit } of cases) {
      const res = await h.api('POST', '/api/deliveries', { body: { label: 'Too big', audience, ...body } })
      expect({ field, status: res.status, error: res.body.error }).toEqual({
        field,
        status: 400,
        error: expect.objectContaining({ field, message: expect.stringMatching(limit) }),
      })
    }
    expect((await h.api('GET', '/api/deliveries?pageSize=500', { as: 'viewer' })).body.total).toBe(before)
  })
})
