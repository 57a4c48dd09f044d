import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  ParentClosePolicy,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  startChild,
  workflowInfo,
} from '@temporalio/workflow'
import type { HeraldActivities, StatsResult } from '../activities'
import type { StatsFigures } from '../domain/kpis'
import { defaultDeliverySettings, type DeliverySettings } from '../domain/settings'
import { DeliveryIdAttribute, refusals } from './messages'
import * as messages from './stats-messages'

export interface StatsWorkflowInput {
  deliveryId: number
  /** How often open and click rates are refreshed. */
  intervalMs: number
  /** epoch ms: the end of the tracking period, after which the workflow computes once more and ends. */
  until: number
  /** Continue as new after this many activities, to keep the history bounded. */
  refreshesPerRun: number
  /** The figures a previous run handed over with continue-as-new. */
  figures?: StatsFigures | null
}

const { computeStats, refreshStats } = proxyActivities<HeraldActivities>({
  startToCloseTimeout: '10 minutes',
  retry: { initialInterval: '1s', maximumInterval: '1 minute', backoffCoefficient: 2 },
})

/**
 * Starts the stats workflow of a delivery whose send has ended, as a child of the calling workflow that
 * is abandoned rather than awaited: the parent closes with the send, the stats go on for the tracking
 * period and keep their link to the parent in the Temporal UI.
 */
export async function startStatsChild(
  deliveryId: number,
  workflowId: string,
  settings: Partial<DeliverySettings> | undefined,
): Promise<void> {
  const { trackingPeriodMs, statsIntervalMs, statsRefreshesPerRun } = {
    ...defaultDeliverySettings,
    ...settings,
  }
  const until = Date.now() + trackingPeriodMs
  await startChild(deliveryStatsWorkflow, {
    workflowId,
    args: [{ deliveryId, intervalMs: statsIntervalMs, until, refreshesPerRun: statsRefreshesPerRun }],
    parentClosePolicy: ParentClosePolicy.ABANDON,
    typedSearchAttributes: [{ key: DeliveryIdAttribute, value: String(deliveryId) }],
    staticSummary: `Stats of delivery ${deliveryId} until ${new Date(until).toISOString()}`,
  })
}

/**
 * A delivery's stats after its send (SPEC.md "Stats"): computes every KPI once, refreshes the open and
 * click rates every interval until the tracking period ends, then computes once more. Compute stats
 * (an update) recomputes at once and returns the figures. Started by the delivery workflow as a child.
 */
export async function deliveryStatsWorkflow(input: StatsWorkflowInput): Promise<StatsFigures | null> {
  return new DeliveryStats(input).run()
}

class DeliveryStats {
  private figures: StatsFigures | null
  private readonly waiting: ((figures: StatsFigures | null) => void)[] = []
  private activitiesThisRun = 0
  private ended = false

  constructor(private readonly input: StatsWorkflowInput) {
    this.figures = input.figures ?? null
    setHandler(messages.stats, () => this.figures)
    setHandler(messages.computeStats, () => this.whenComputed(), {
      // The API sends Compute stats without a payload; anything else was not sent by Herald.
      validator: (...payload: unknown[]) => {
        if (payload.length > 0)
          throw ApplicationFailure.create({
            type: refusals.invalidInput,
            message: 'payload: Compute stats takes none',
            nonRetryable: true,
          })
      },
    })
  }

  async run(): Promise<StatsFigures | null> {
    if (this.input.figures === undefined) await this.compute()
    while (!this.ended && Date.now() < this.input.until) {
      if (this.timeToContinueAsNew()) {
        await this.answerEveryUpdate()
        return continueAsNew<typeof deliveryStatsWorkflow>({ ...this.input, figures: this.figures })
      }
      this.describe()
      const asked = await condition(
        () => this.waiting.length > 0,
        Math.min(this.input.intervalMs, this.input.until - Date.now()),
      )
      if (asked) await this.compute()
      else await this.refresh()
    }
    if (!this.ended) await this.compute()
    this.ended = true
    this.describe()
    await this.answerEveryUpdate()
    return this.figures
  }

  /** Before this run ends, every Compute stats asked so far gets its figures. */
  private async answerEveryUpdate(): Promise<void> {
    for (;;) {
      await condition(() => allHandlersFinished() || this.waiting.length > 0)
      if (!this.waiting.length) return
      if (this.ended) for (const reply of this.waiting.splice(0)) reply(this.figures)
      else await this.compute()
    }
  }

  /** Compute stats: the update's reply waits for the next full computation. */
  private whenComputed(): Promise<StatsFigures> {
    if (this.ended && this.figures) return Promise.resolve(this.figures)
    return new Promise((resolve, reject) =>
      this.waiting.push((figures) =>
        figures
          ? resolve(figures)
          : reject(ApplicationFailure.nonRetryable('the delivery no longer exists', 'DeliveryNotFound')),
      ),
    )
  }

  private async compute(): Promise<void> {
    const answered = this.waiting.splice(0)
    this.apply(
      await computeStats.executeWithOptions({ summary: 'Compute stats: every KPI from the logs' }, [
        this.input.deliveryId,
      ]),
    )
    for (const reply of answered) reply(this.figures)
  }

  private async refresh(): Promise<void> {
    this.apply(
      await refreshStats.executeWithOptions({ summary: 'Refresh open and click rates' }, [
        this.input.deliveryId,
      ]),
    )
  }

  private apply(result: StatsResult): void {
    this.activitiesThisRun++
    // A deleted delivery, or one without tracking, has no opens or clicks to follow.
    if (result === null || !result.tracking) this.ended = true
    if (result === null) this.figures = null
    else this.figures = result.figures
  }

  private describe(): void {
    const kpis = this.figures?.kpis
    const rates = kpis
      ? `opens ${kpis.openRate} %, clicks ${kpis.clickRate} % of ${kpis.delivered} delivered`
      : 'no figures yet'
    const next = this.ended
      ? 'tracking period over'
      : `refreshing every ${Math.round(this.input.intervalMs / 1000)} s until ${new Date(this.input.until).toISOString()}`
    setCurrentDetails(`**Stats of delivery ${this.input.deliveryId}** — ${rates}; ${next}`)
  }

  private timeToContinueAsNew(): boolean {
    return this.activitiesThisRun >= this.input.refreshesPerRun || workflowInfo().continueAsNewSuggested
  }
}
