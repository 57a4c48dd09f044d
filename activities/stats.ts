import { deliveryTracking } from '../persistence/deliveries'
import { computeDeliveryStats, refreshDeliveryStats } from '../persistence/stats'
import type { StatsFigures } from '../domain/kpis'
import { checkBounceRatio, type AlertDeps } from './alerts'

/** What the stats workflow learns from a refresh; null once the delivery is gone. */
export type StatsResult = { figures: StatsFigures; tracking: boolean } | null

/** The stats workflow's activities: the KPIs of a delivery from its sending and tracking logs. */
export const createStatsActivities = (deps: AlertDeps) => {
  const { db, clock } = deps
  return {
    /** Compute stats: every KPI from the sending and tracking logs at once; checks the bounce ratio. */
    async computeStats(deliveryId: number): Promise<StatsResult> {
      const tracking = await deliveryTracking(db, deliveryId)
      if (tracking === null) return null
      const figures = await computeDeliveryStats(db, deliveryId, clock())
      await checkBounceRatio(deps, deliveryId)
      return { figures, tracking }
    },

    /** The hourly refresh of open and click rates: reads only the tracking logs new since the last one. */
    async refreshStats(deliveryId: number): Promise<StatsResult> {
      const tracking = await deliveryTracking(db, deliveryId)
      if (tracking === null) return null
      const figures =
        (await refreshDeliveryStats(db, deliveryId, clock())) ??
        (await computeDeliveryStats(db, deliveryId, clock()))
      return { figures, tracking }
    },
  }
}
