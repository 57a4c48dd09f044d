import { WorkflowNotFoundError } from '@temporalio/client'
import { importProfiles, readyDelivery, startHarness, waitUntil, type Harness } from '../support/harness'
import { dashboardClient } from '../support/dashboard-client'

/**
 * Item 10 of issue 16 (first part): Compute stats recounts every sending and tracking log of a
 * delivery on each call. It is no read: it takes the "computeStats" right (the prepare, approve and
 * start roles); a viewer, the workflow role or the admin role get 403 naming the role, and nothing is
 * computed.
 */
describe('Compute stats', () => {
  let h: Harness
  let id: number
  let statsWorkflowId: string
  beforeAll(async () => {
    h = await startHarness()
    // Tracked: the stats workflow runs for the tracking period, and Compute stats goes through it.
    id = await readyDelivery(h, await importProfiles(h, 2), {
      html: '<p>Hi <a href="https://example.com/">site</a></p>',
      tracking: true,
    })
    await h.api('POST', `/api/deliveries/${id}/confirm`, { as: 'start', body: {} })
    statsWorkflowId = `${(await h.waitForStatus(id, 'finished')).workflowId}-stats`
    await waitUntil('the stats workflow to have computed once', async () => {
      const handle = h.client.workflow.getHandle(statsWorkflowId)
      const figures = await handle.query('stats').catch((err: unknown) => {
        if (err instanceof WorkflowNotFoundError) return null
        throw err
      })
      return figures !== null && !(await handle.describe()).raw.pendingActivities?.length
    })
  })
  afterAll(() => h?.close())

  const statsHistory = async () =>
    (await h.client.workflow.getHandle(statsWorkflowId).describe()).historyLength

  test('a viewer, the workflow role and the admin role cannot run it: 403 naming the role, and nothing is recomputed', async () => {
    const before = await statsHistory()
    for (const as of ['viewer', 'workflow', 'admin'] as const) {
      const res = await h.api('POST', `/api/deliveries/${id}/compute-stats`, { as })
      expect({ as, status: res.status }).toEqual({ as, status: 403 })
      expect(res.body.error.message).toContain('"Prepare deliveries" role (prepare) needed to compute stats')
    }
    expect(await statsHistory()).toBe(before)
  })

  test('the prepare, approve and start roles can', async () => {
    for (const as of ['prepare', 'approve', 'start'] as const) {
      const res = await h.api('POST', `/api/deliveries/${id}/compute-stats`, { as })
      expect({ as, status: res.status, delivered: res.body?.kpis?.delivered }).toEqual({
        as,
        status: 200,
        delivered: 2,
      })
    }
  })

  test('the dashboard offers Compute stats to those who hold the right, not to a viewer', async () => {
    const viewer = dashboardClient(h)
    await viewer.logIn(h.tokens.viewer)
    const form = `action="/deliveries/${id}/compute-stats"`
    expect((await viewer.get(`/deliveries/${id}`)).text).not.toContain(form)
    const approver = dashboardClient(h)
    await approver.logIn(h.tokens.approve)
    expect((await approver.get(`/deliveries/${id}`)).text).toContain(form)
  })
})
