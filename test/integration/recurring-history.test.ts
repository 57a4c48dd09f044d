import {
  historyChain,
  importProfiles,
  receivedFor,
  startHarness,
  waitUntil,
  type Harness,
} from '../support/harness'
import {
  createRecurring,
  executionsOf,
  runsOf,
  stopAllRecurring,
  withStatus,
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

  test('the recurrence’s history stays bounded: Temporal continues the schedule’s workflow as new', async () => {
    const profileIds = await importProfiles(h, 1)
    const id = await createRecurring(h, {
      audience: { profileIds },
      aggregation: 'day',
      recurrence: { every: '1s', timeZone: zoneAroundNoon() },
    })
    const scheduler = `temporal-sys-scheduler:${h.config.temporal.workflowIdPrefix}recurring-${id}`
    const final = ['sent', 'skipped', 'expired', 'failed']
    // Until the schedule's workflow has been continued as new (its history passes the dev server's
    // 400-event mark after about 50 runs, some 8 events a run) and 60 runs are final. A second apart they
    // take a minute at best; a busy machine runs late, so the deadline is three and a half.
    let runs: any[] = []
    const schedulerRun = await waitUntil(
      'the schedule continued as new and 60 runs final',
      async () => {
        runs = await runsOf(h, id)
        const run = await historyLength(scheduler)
        return run.firstRunId !== run.runId && withStatus(runs, ...final).length >= 60 && run
      },
      210_000,
      500,
    )
    await h.api('POST', `/api/recurring-deliveries/${id}/stop`, { as: 'workflow' })

    // Temporal's scheduler workflow: a chain of runs, none longer than the mark it continues as new at.
    const chain = await historyChain(h, scheduler)
    expect(chain.length).toBeGreaterThan(1)
    expect(Math.max(...chain)).toBeLessThan(500)
    expect(schedulerRun.firstRunId).not.toBe(schedulerRun.runId)

    // Herald's runs: one short workflow each, whatever its rank (a history holding every run would pass
    // 60 events within a few runs: the schedule's own grows by about 8 a run).
    const lengths = await Promise.all(runs.slice(0, 60).map((run) => historyLength(run.workflowId)))
    expect(Math.max(...lengths.map((l) => l.length))).toBeLessThan(60)

    const [execution] = await executionsOf(h, id)
    expect(receivedFor(h, execution.id).size).toBe(1)
  }, 240_000)
})
