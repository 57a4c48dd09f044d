import {
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
} from '@temporalio/client'
import { ApplicationFailure } from '@temporalio/common'
import * as messages from '../../workflows/messages'
import * as statsMessages from '../../workflows/stats-messages'
import { confirmRun } from '../../workflows/recurring-messages'
import {
  deliveryWorkflow,
  importProfiles,
  readyDelivery,
  startHarness,
  waitUntil,
  type Harness,
} from '../support/harness'
import { createRecurring, stopAllRecurring, waitForRuns, withStatus } from '../support/recurring'

/**
 * Item 2 of issue 16: whoever reaches Temporal's frontend can send a delivery's updates without
 * going through the API. Every update's validator checks its payload with the schema the API uses,
 * so such an update can never write what the API would refuse: it is refused before it enters the
 * history, and neither the workflow nor the database changes.
 */
describe('updates sent straight to Temporal', () => {
  let h: Harness
  let profileIds: number[]
  beforeAll(async () => {
    h = await startHarness({ env: { HERALD_MIN_RECURRENCE: '1s' } })
    profileIds = await importProfiles(h, 2)
  })
  afterAll(async () => {
    if (h) await stopAllRecurring(h)
    await h?.close()
  })

  /** The workflow has taken every task it was given: its history only grows when something happens. */
  const settled = (workflowId: string) =>
    waitUntil(`workflow ${workflowId} to be idle`, async () => {
      const { historyLength, raw } = await h.client.workflow.getHandle(workflowId).describe()
      return historyLength >= 3 && !raw.pendingWorkflowTask && !raw.pendingActivities?.length
    })

  async function created(): Promise<number> {
    const res = await h.api('POST', '/api/deliveries', {
      body: { label: 'Direct', subject: 'Hello', text: 'Hi', audience: { profileIds } },
    })
    expect(res.status).toBe(201)
    await settled(deliveryWorkflow(h, res.body.id).workflowId)
    return res.body.id
  }

  async function awaitingApproval(): Promise<number> {
    const id = await created()
    await h.api('POST', `/api/deliveries/${id}/prepare`)
    await h.waitForStatus(id, 'awaiting_approval')
    return id
  }

  const row = async (id: number) => JSON.stringify(await h.db.knex('delivery').where('id', id).first())
  const historyLength = async (workflowId: string) =>
    (await h.client.workflow.getHandle(workflowId).describe()).historyLength

  /**
   * Sends each payload straight to the workflow; returns, per payload, how it was refused (the failure
   * type) or "accepted", and whether the delivery's row or the workflow's history changed.
   */
  async function sendEach(
    workflowId: string,
    update: { name: string },
    payloads: unknown[],
    deliveryId: number | null,
  ) {
    const outcomes: { payload: unknown; outcome: string; changed: boolean }[] = []
    await settled(workflowId)
    for (const payload of payloads) {
      const before = [deliveryId ? await row(deliveryId) : '', await historyLength(workflowId)]
      let outcome = 'accepted'
      try {
        // A refusal is immediate; an accepted update whose write cannot be done might never answer.
        await h.client.withDeadline(Date.now() + 4000, () =>
          h.client.workflow.getHandle(workflowId).executeUpdate(update.name, { args: [payload] }),
        )
      } catch (err) {
        if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) outcome = 'accepted, no answer'
        else if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure)
          outcome = `refused: ${err.cause.type}`
        else throw err
      }
      const after = [deliveryId ? await row(deliveryId) : '', await historyLength(workflowId)]
      outcomes.push({ payload, outcome, changed: JSON.stringify(before) !== JSON.stringify(after) })
    }
    return outcomes
  }

  const refusedUnchanged = (payloads: unknown[]) =>
    payloads.map((payload) => ({ payload, outcome: 'refused: InvalidInput', changed: false }))

  test('edit: changes the API would refuse (unknown fields, CR/LF in a header, bad types) are refused and write nothing', async () => {
    const id = await created()
    const payloads = [
      { by: 'mallory', changes: { status: 'finished' } },
      { by: 'mallory', changes: { createdBy: 'someone else', messagesToDeliver: 1_000_000 } },
      { by: 'mallory', changes: { approvedBy: 'approve-user', preparedVersion: 1 } },
      { by: 'mallory', changes: { subject: 'Hello\r\nBcc: everyone@example.com' } },
      { by: 'mallory', changes: { label: '' } },
      { by: 'mallory', changes: { fromEmail: 'not an address' } },
      { by: 'mallory', changes: { html: 42 } },
      { by: 'mallory', changes: { timeZone: 'Mars/Olympus_Mons' } },
      { by: 'mallory', changes: { audience: { filter: [{ field: 'constructor', op: 'eq', value: 'x' }] } } },
      { by: 'mallory', changes: { audience: { profileIds: [-1] } } },
      { by: 'mallory', changes: 'everything' },
      { by: 'mallory' },
      { by: 'mallory\r\nX-Injected: 1', changes: { label: 'ok' } },
    ]
    expect(await sendEach(deliveryWorkflow(h, id).workflowId, messages.edit, payloads, id)).toEqual(
      refusedUnchanged(payloads),
    )
    expect((await h.api('GET', `/api/deliveries/${id}`)).body).toMatchObject({
      status: 'draft',
      label: 'Direct',
      subject: 'Hello',
      createdBy: 'creator',
      version: 1,
    })
  })

  test('approve: a `by` the API could never send (control characters, too long, not a string) or extra fields are refused', async () => {
    const id = await awaitingApproval()
    const payloads = [
      { by: 'mallory\r\nX-Injected: 1' },
      { by: 'x'.repeat(256) },
      { by: 42 },
      { by: { name: 'approve-user' } },
      { by: 'mallory', approvedBy: 'approve-user' },
      'mallory',
    ]
    expect(await sendEach(deliveryWorkflow(h, id).workflowId, messages.approve, payloads, id)).toEqual(
      refusedUnchanged(payloads),
    )
    expect((await h.api('GET', `/api/deliveries/${id}`)).body).toMatchObject({
      status: 'awaiting_approval',
      approvedBy: null,
    })
    // The API's own approve still works: the validator refuses payloads, not the command.
    expect((await h.api('POST', `/api/deliveries/${id}/approve`, { as: 'approve' })).status).toBe(200)
  })

  test('confirm: bad actors, counts that are not whole numbers and extra fields are refused; nothing is sent', async () => {
    const id = await readyDelivery(h, profileIds)
    const payloads = [
      { by: 'mallory\nX: 1', expectedMessages: 2 },
      { by: '', expectedMessages: 2 },
      { by: 'mallory', expectedMessages: 2, confirmedBy: 'start-user' },
      { by: 'mallory', expectedMessages: '2' },
      { by: 'mallory', expectedMessages: 2.5 },
      { by: 'mallory', expectedMessages: -2 },
      { by: 'mallory', expectedMessages: null },
    ]
    expect(await sendEach(deliveryWorkflow(h, id).workflowId, messages.confirm, payloads, id)).toEqual(
      refusedUnchanged(payloads),
    )
    expect((await h.api('GET', `/api/deliveries/${id}`)).body).toMatchObject({
      status: 'ready',
      confirmedBy: null,
      progress: { processed: 0 },
    })
  })

  test('reject and schedule: an empty or multi-line reason, a contact date that is no instant, an unknown time zone are refused', async () => {
    const waiting = await awaitingApproval()
    const reasons = [
      { by: 'mallory', reason: '' },
      { by: 'mallory', reason: 'one\r\ntwo' },
      { by: 'mallory', reason: 'r'.repeat(1001) },
      { by: 'mallory' },
    ]
    expect(
      await sendEach(deliveryWorkflow(h, waiting).workflowId, messages.reject, reasons, waiting),
    ).toEqual(refusedUnchanged(reasons))
    const draft = await created()
    const schedules = [
      { by: 'mallory', contactDate: 'tomorrow' },
      { by: 'mallory', contactDate: 1.5 },
      { by: 'mallory', contactDate: 1e20 },
      { by: 'mallory', contactDate: Date.now() + 60_000, timeZone: 'Mars/Olympus_Mons' },
      { by: 'mallory', contactDate: Date.now() + 60_000, status: 'sending' },
      { by: 'mallory' },
    ]
    expect(
      await sendEach(deliveryWorkflow(h, draft).workflowId, messages.schedule, schedules, draft),
    ).toEqual(refusedUnchanged(schedules))
  })

  test('a recurring run: confirmRun with a bad actor, count or extra field is refused and the run keeps waiting', async () => {
    const id = await createRecurring(h, {
      audience: { profileIds },
      confirmBeforeEachSend: true,
      recurrence: { every: '1h' },
    })
    await h.api('POST', `/api/recurring-deliveries/${id}/trigger`, { as: 'workflow' })
    const [run] = await waitForRuns(h, id, (r) => withStatus(r, 'waiting_for_confirmation').length === 1)
    const payloads = [
      { by: 'mallory\r\nX: 1', expectedMessages: 2 },
      { by: 'mallory', expectedMessages: 2, runId: 1 },
      { by: 'mallory', expectedMessages: 'all' },
      { by: 7 },
    ]
    expect(await sendEach(run.workflowId, confirmRun, payloads, null)).toEqual(refusedUnchanged(payloads))
    const [after] = await waitForRuns(h, id, (r) => r.length === 1)
    expect(after).toMatchObject({ status: 'waiting_for_confirmation', confirmedBy: null })
  })

  // With tracking on, the stats workflow runs for the tracking period (it ends at once without).
  const tracked = { html: '<p>Hi <a href="https://example.com/">site</a></p>', tracking: true }

  test('the stats workflow: Compute stats with a payload (the API sends none) is refused', async () => {
    const id = await readyDelivery(h, profileIds, tracked)
    await h.api('POST', `/api/deliveries/${id}/confirm`, { as: 'start', body: {} })
    const { workflowId } = await h.waitForStatus(id, 'finished')
    const stats = `${workflowId}-stats`
    await waitUntil('the stats workflow to have computed once', async () => {
      const figures = await h.client.workflow
        .getHandle(stats)
        .query(statsMessages.stats)
        .catch((err: unknown) => {
          if (err instanceof WorkflowNotFoundError) return null
          throw err
        })
      return figures !== null
    })
    const payloads = [{ by: 'mallory' }, 'now']
    expect(await sendEach(stats, statsMessages.computeStats, payloads, null)).toEqual(
      refusedUnchanged(payloads),
    )
  })
})
