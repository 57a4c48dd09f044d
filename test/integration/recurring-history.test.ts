import { historyChain, importProfiles, receivedFor, startHarness, type Harness } from '../support/harness'
import {
  createRecurring,
  executionsOf,
  stopAllRecurring,
  waitForRuns,
  zoneAroundNoon,
} from '../support/recurring'

/**
 * A recurrence never grows one history: each run is a workflow of its own, and the schedule's own
 * workflow is continued as new by Temporal (here sooner than in production: see the global setup).
 */
describe('the history of a recurring delivery', () => {
  let h: Harness
  beforeAll(async () => {
    h = await startHarness({ env: { HERALD_MIN_RECURRENCE: '1s' } })
  })
  afterAll(async () => {
    if (h) await stopAllRecurring(h)
    await h?.close()
  })

  const historyLength = async (workflowId: string) => {
    const { workflowExecutionInfo } = await h.client.workflowService.describeWorkflowExecution({
      namespace: h.config.temporal.namespace,
      execution: { workflowId },
    })
    return {
      length: Number(workflowExecutionInfo?.historyLength),
      runId: workflowExecutionInfo?.execution?.runId ?? '',
      firstRunId: workflowExecutionInfo?.firstRunId ?? '',
    }
  }

  test('the recurrence’s history stays bounded over 100 runs', async () => {
    const profileIds = await importProfiles(h, 1)
    const id = await createRecurring(h, {
      audience: { profileIds },
      aggregation: 'day',
      recurrence: { every: '1s', timeZone: zoneAroundNoon() },
    })
    const scheduler = `temporal-sys-scheduler:${h.config.temporal.workflowIdPrefix}recurring-${id}`
    const final = ['sent', 'skipped', 'expired', 'failed']
    const runs = await waitForRuns(
      h,
      id,
      (r) => r.filter((run) => final.includes(run.status)).length >= 100,
      180_000,
    )
    const schedulerRun = await historyLength(scheduler)
    expect(runs.length).toBeGreaterThanOrEqual(100)
    await h.api('POST', `/api/recurring-deliveries/${id}/stop`, { as: 'workflow' })

    // Temporal's scheduler workflow: a chain of runs, none longer than the mark it continues as new at.
    const chain = await historyChain(h, scheduler)
    expect(chain.length).toBeGreaterThan(1)
    expect(Math.max(...chain)).toBeLessThan(500)
    expect(schedulerRun.firstRunId).not.toBe(schedulerRun.runId)

    // Herald's runs: one short workflow each, whatever its rank (a history holding every run would pass
    // 60 events within a few runs: the schedule's own grows by about 8 a run).
    const lengths = await Promise.all(runs.slice(0, 100).map((run) => historyLength(run.workflowId)))
    expect(Math.max(...lengths.map((l) => l.length))).toBeLessThan(60)

    const [execution] = await executionsOf(h, id)
    expect(receivedFor(h, execution.id).size).toBe(1)
    // A hundred runs a second apart take 100 s at best; a busy machine runs late (runsOf waits 180 s).
  }, 240_000)
})
