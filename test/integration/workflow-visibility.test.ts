import { workflowMetadataQuery } from '@temporalio/workflow'
import {
  historyChain,
  importProfiles,
  readyDelivery,
  receivedFor,
  startHarness,
  waitUntil,
  type Harness,
} from '../support/harness'

/** What an engineer sees of a delivery in Temporal: its id, status, what it waits for, bounded history. */
describe('the delivery workflow in Temporal', () => {
  let h: Harness
  beforeAll(async () => {
    h = await startHarness({ settings: { batchesPerRun: 2 } })
  })
  afterAll(() => h?.close())

  const handle = (workflowId: string) => h.client.workflow.getHandle(workflowId)

  test('search attributes and current details say which delivery it is and what it waits for', async () => {
    const ids = await importProfiles(h, 3)
    const created = await h.api('POST', '/api/deliveries', {
      body: { label: 'Visible', subject: 'S', text: 'T', audience: { profileIds: ids } },
    })
    const { id, workflowId } = created.body
    await h.api('POST', `/api/deliveries/${id}/prepare`)
    await h.waitForStatus(id, 'awaiting_approval')
    const metadata = await handle(workflowId).query(workflowMetadataQuery)
    expect(metadata.currentDetails).toContain('waiting for approval')
    const described = await handle(workflowId).describe()
    expect(described.typedSearchAttributes.getAll()).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ key: expect.objectContaining({ name: 'DeliveryId' }), value: String(id) }),
        expect.objectContaining({
          key: expect.objectContaining({ name: 'DeliveryStatus' }),
          value: 'awaiting_approval',
        }),
      ]),
    )
    // Visibility is eventually consistent: the filter finds the workflow once it has caught up.
    const query = `DeliveryStatus = 'awaiting_approval' AND DeliveryId = '${id}' AND TaskQueue = '${h.config.temporal.taskQueue}'`
    const found = await waitUntil(`visibility to list ${workflowId}`, async () => {
      const listed: string[] = []
      for await (const execution of h.client.workflow.list({ query })) listed.push(execution.workflowId)
      return listed.length > 0 && listed
    })
    expect(found).toEqual([workflowId])
  })

  test('a large send continues as new every few batches and still sends every message once', async () => {
    const ids = await importProfiles(h, 130)
    const id = await readyDelivery(h, ids)
    const { workflowId } = (await h.api('GET', `/api/deliveries/${id}`)).body
    await h.api('POST', `/api/deliveries/${id}/confirm`, { as: 'start' })
    const finished = await h.waitForStatus(id, 'finished')
    expect(finished.progress).toMatchObject({ delivered: 130, processed: 130 })
    const received = receivedFor(h, id)
    expect(received.size).toBe(130)
    expect([...received.values()].every((n) => n === 1)).toBe(true)

    const runs = await historyChain(h, workflowId)
    // 7 batches, 2 per run: the send spans 4 runs (plus none for preparation, which ran in the first).
    expect(runs.length).toBeGreaterThanOrEqual(4)
    expect(Math.max(...runs)).toBeLessThan(120)
  })
})
