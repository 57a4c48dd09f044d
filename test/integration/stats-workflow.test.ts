import { computeStats, stats } from '../../workflows/stats-messages'
import { historyChain, importProfiles, readyDelivery, startHarness, type Harness } from '../support/harness'

/** The stats child workflow over a whole (short) tracking period: bounded history, figures kept. */
describe('the stats workflow', () => {
  let h: Harness
  beforeAll(async () => {
    h = await startHarness({
      // Two activities a run: the first computation and the Compute stats below fill the first run
      // however slowly the machine refreshes, so the workflow continues as new at least once.
      settings: { statsIntervalMs: 700, trackingPeriodMs: 7000, statsRefreshesPerRun: 2 },
    })
  })
  afterAll(() => h?.close())

  const trackingUrls = async (deliveryId: number, profileId: number) => {
    const received = h.sink.messages.find(
      (m) => m.messageId === `<herald.d${deliveryId}.p${profileId}@herald.localhost>`,
    )
    const body = String((await h.sink.parsed(received!.seq)).html)
    return {
      pixel: /<img src="([^"]+)"/.exec(body)![1],
      click: /href="([^"]*\/t\/c\/[^"]+)"/.exec(body)![1],
    }
  }

  test('continues as new, keeps its figures, ends with the tracking period; Compute stats still works after', async () => {
    const ids = await importProfiles(h, 4)
    const id = await readyDelivery(h, ids, {
      html: '<p>Hi <a href="https://example.com/a">a</a></p>',
      tracking: true,
    })
    await h.api('POST', `/api/deliveries/${id}/confirm`, { as: 'start' })
    const finished = await h.waitForStatus(id, 'finished')
    // The delivery's workflow ends once it has started its stats child.
    expect(await h.client.workflow.getHandle(finished.workflowId).result()).toMatchObject({
      status: 'finished',
    })
    const statsId = `${finished.workflowId}-stats`
    const handle = h.client.workflow.getHandle(statsId)

    await h.app.request((await trackingUrls(id, ids[0])).pixel)
    const figures = await handle.executeUpdate(computeStats)
    expect(figures.kpis).toMatchObject({ delivered: 4, opens: 1, openRate: 25 })

    const result = await handle.result()
    expect(result?.kpis).toMatchObject({ delivered: 4, opens: 1, openRate: 25, clicks: 0 })
    expect(await handle.query(stats)).toEqual(result)
    const runs = await historyChain(h, statsId)
    expect(runs.length).toBeGreaterThanOrEqual(2)
    expect(Math.max(...runs)).toBeLessThan(60)

    // The tracking period is over: Compute stats reads the logs directly.
    await h.app.request((await trackingUrls(id, ids[1])).click)
    const after = await h.api('POST', `/api/deliveries/${id}/compute-stats`, { as: 'approve' })
    expect(after.status).toBe(200)
    expect(after.body.kpis).toMatchObject({ opens: 2, clicks: 1, openRate: 50, clickRate: 25 })
  })

  test('Compute stats works before the send has ended, from the logs', async () => {
    const ids = await importProfiles(h, 2)
    const id = await readyDelivery(h, ids, { html: '<p>Hi</p>', tracking: true })
    const computed = await h.api('POST', `/api/deliveries/${id}/compute-stats`, { as: 'approve' })
    expect(computed.status).toBe(200)
    expect(computed.body.kpis).toMatchObject({ messagesToDeliver: 2, processed: 0, progress: 0, opens: 0 })
  })

  test('a delivery without tracking computes its stats once and ends its stats workflow', async () => {
    const ids = await importProfiles(h, 2)
    const id = await readyDelivery(h, ids)
    await h.api('POST', `/api/deliveries/${id}/confirm`, { as: 'start' })
    const finished = await h.waitForStatus(id, 'finished')
    await h.client.workflow.getHandle(finished.workflowId).result()
    const result = await h.client.workflow.getHandle(`${finished.workflowId}-stats`).result()
    expect(result?.kpis).toMatchObject({ delivered: 2, deliveredRate: 100 })
  })
})
