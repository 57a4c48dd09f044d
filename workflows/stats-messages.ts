import { defineQuery, defineUpdate } from '@temporalio/workflow'
import type { StatsFigures } from '../domain/kpis'
import { deliveryWorkflowId } from './messages'

/** What a delivery's stats workflow understands, and the id Herald gives it in Temporal. */

/**
 * The stats workflow of a delivery (or of a recurring delivery's execution), started as a child when its
 * send ends: `delivery-42-stats`. The only place that names it.
 */
export const deliveryStatsWorkflowId = (deliveryId: number, prefix = '') =>
  `${deliveryWorkflowId(deliveryId, prefix)}-stats`

/** Recompute every KPI from the logs now and return the figures. */
export const computeStats = defineUpdate<StatsFigures, []>('computeStats')

/** The figures as last computed or refreshed. */
export const stats = defineQuery<StatsFigures | null>('stats')
