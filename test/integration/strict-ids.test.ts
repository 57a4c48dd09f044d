import { dashboardClient } from '../support/dashboard-client'
import { importProfiles, readyDelivery, startHarness, type Harness } from '../support/harness'
import { pathSegment } from '../support/malformed'

/**
 * An id or a page number has one spelling. The hostile-input suite once found `POST
 * /api/deliveries/1%2E/compute-stats` accepted: "1." was coerced to 1 and the command ran. Every other
 * spelling of a real id is refused with 400 naming the parameter, in the API and the dashboard, and
 * nothing is done.
 */
describe('ids and page numbers are canonical decimal digits', () => {
  let h: Harness
  let awaiting: number
  let ready: number

  /** The spellings of `n` that a lenient parser (Number, z.coerce) reads as n. */
  const otherSpellings = (n: number) => ({
    'a trailing dot': `${n}.`,
    'an exponent': `${n}e0`,
    hex: `0x${n.toString(16)}`,
    'a leading space': ` ${n}`,
    'a leading zero': `0${n}`,
    'a plus sign': `+${n}`,
    'full-width digits': [...String(n)].map((d) => String.fromCharCode(0xff10 + Number(d))).join(''),
  })

  beforeAll(async () => {
    h = await startHarness()
    const profileIds = await importProfiles(h, 2)
    const created = await h.api('POST', '/api/deliveries', {
      body: { label: 'Awaiting', subject: 'S', text: 'T', audience: { profileIds } },
    })
    awaiting = created.body.id
    await h.api('POST', `/api/deliveries/${awaiting}/prepare`)
    await h.waitForStatus(awaiting, 'awaiting_approval')
    ready = await readyDelivery(h, profileIds)
  })
  afterAll(() => h?.close())

  const row = async (id: number) => JSON.stringify(await h.db.knex('delivery').where({ id }).first())
  const historyLength = async (id: number) =>
    (await h.client.workflow.getHandle(`${h.config.temporal.workflowIdPrefix}delivery-${id}`).describe())
      .historyLength

  const expectRefused = (res: { status: number; body: any }, field: string) => {
    expect({ status: res.status, field: res.body?.error?.field }).toEqual({ status: 400, field })
    expect(res.body.error.message).toMatch(new RegExp(`^${field}: must be a whole number`))
  }

  test.each(Object.entries(otherSpellings(1)))(
    'compute stats of delivery "1" spelt with %s is refused with 400 naming id',
    async (_, spelling) => {
      const res = await h.api('POST', `/api/deliveries/${pathSegment(spelling)}/compute-stats`)
      expectRefused(res, 'id')
    },
  )

  test('a command to a real id spelt any other way is refused and changes nothing', async () => {
    const before = { row: await row(awaiting), history: await historyLength(awaiting) }
    for (const [how, spelling] of Object.entries(otherSpellings(awaiting))) {
      const res = await h.api('POST', `/api/deliveries/${pathSegment(spelling)}/approve`, { as: 'approve' })
      expect({ how, status: res.status }).toEqual({ how, status: 400 })
      expectRefused(res, 'id')
    }
    expect({ row: await row(awaiting), history: await historyLength(awaiting) }).toEqual(before)
  })

  test('a run id spelt another way is refused with 400 naming runId', async () => {
    for (const spelling of Object.values(otherSpellings(1))) {
      const res = await h.api('POST', `/api/recurring-deliveries/1/runs/${pathSegment(spelling)}/confirm`, {
        as: 'start',
        body: { expectedMessages: 1 },
      })
      expectRefused(res, 'runId')
    }
  })

  test('page, pageSize and ids in the query are refused unless canonical', async () => {
    for (const spelling of Object.values(otherSpellings(2))) {
      const value = encodeURIComponent(spelling)
      expectRefused(await h.api('GET', `/api/deliveries?page=${value}`), 'page')
      expectRefused(await h.api('GET', `/api/deliveries?pageSize=${value}`), 'pageSize')
      expectRefused(
        await h.api('GET', `/api/deliveries/${ready}/tracking-logs?profileId=${value}`),
        'profileId',
      )
      expectRefused(await h.api('GET', `/api/alerts?deliveryId=${value}`, { as: 'admin' }), 'deliveryId')
    }
    expect((await h.api('GET', '/api/deliveries?page=1&pageSize=2')).status).toBe(200)
  })

  test('the dashboard refuses them too, naming the parameter, and confirms nothing', async () => {
    const dashboard = dashboardClient(h)
    await dashboard.logIn(h.tokens.creator)
    const csrf = await dashboard.csrfOf(`/deliveries/${ready}`)
    const before = { row: await row(ready), history: await historyLength(ready) }
    for (const [how, spelling] of Object.entries(otherSpellings(ready))) {
      const segment = pathSegment(spelling)
      const page = await dashboard.get(`/deliveries/${segment}`)
      expect({ how, status: page.status }).toEqual({ how, status: 400 })
      expect(page.text).toContain('id: must be a whole number')
      const confirm = await dashboard.post(`/deliveries/${segment}/confirm`, {
        _csrf: csrf,
        expectedMessages: '2',
      })
      expect({ how, status: confirm.status }).toEqual({ how, status: 400 })
      const list = await dashboard.get(`/?page=${encodeURIComponent(spelling)}`)
      expect({ how, status: list.status }).toEqual({ how, status: 400 })
      expect(list.text).toContain('page: must be a whole number')
    }
    expect({ row: await row(ready), history: await historyLength(ready) }).toEqual(before)
    expect((await dashboard.get(`/deliveries/${ready}`)).status).toBe(200)
  })
})
