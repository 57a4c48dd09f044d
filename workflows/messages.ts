import { defineQuery, defineUpdate } from '@temporalio/workflow'
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common'
import type { DeliveryStatus } from '../domain/delivery-states'
import type { DeliveryChanges } from '../domain/delivery'
import type { StatsFigures } from '../domain/kpis'

/** The messages a delivery workflow understands; the API sends exactly these. */

/** `delivery-42`; a prefix keeps apart several Herald databases that share one namespace. */
export const deliveryWorkflowId = (deliveryId: number, prefix = '') => `${prefix}delivery-${deliveryId}`

/** The stats workflow a delivery starts as a child when its send ends. */
export const deliveryStatsWorkflowId = (deliveryId: number, prefix = '') =>
  `${deliveryWorkflowId(deliveryId, prefix)}-stats`

export const DeliveryIdAttribute = defineSearchAttributeKey('DeliveryId', SearchAttributeType.KEYWORD)
export const DeliveryStatusAttribute = defineSearchAttributeKey('DeliveryStatus', SearchAttributeType.KEYWORD)

export type { DeliveryChanges }

/** Who acts: the API puts the authenticated user's name here. */
export interface Actor {
  by: string
}

/** What the workflow is doing, as returned by every update and by the `state` query. */
export interface DeliveryView {
  deliveryId: number
  status: DeliveryStatus
  messagesToDeliver: number
  /** epoch ms, or null to send once confirmed */
  contactDate: number | null
  batches: { total: number; done: number }
  waitingFor: string
}

export const prepare = defineUpdate<DeliveryView, [Actor]>('prepare')
export const approve = defineUpdate<DeliveryView, [Actor]>('approve')
export const reject = defineUpdate<DeliveryView, [Actor & { reason: string }]>('reject')
/** `expectedMessages` is the count the user saw; a different prepared count refuses the confirm. */
export const confirm = defineUpdate<DeliveryView, [Actor & { expectedMessages?: number }]>('confirm')
export const schedule = defineUpdate<
  DeliveryView,
  [Actor & { contactDate: number | null; timeZone?: string | null }]
>('schedule')
export const edit = defineUpdate<DeliveryView, [Actor & { changes: DeliveryChanges }]>('edit')
export const pause = defineUpdate<DeliveryView, [Actor]>('pause')
export const resume = defineUpdate<DeliveryView, [Actor]>('resume')
export const stop = defineUpdate<DeliveryView, [Actor]>('stop')
export const remove = defineUpdate<DeliveryView, [Actor]>('delete')

export const state = defineQuery<DeliveryView>('state')

/** Stats workflow: recompute every KPI from the logs now and return the figures. */
export const computeStats = defineUpdate<StatsFigures, []>('computeStats')
/** Stats workflow: the figures as last computed or refreshed. */
export const stats = defineQuery<StatsFigures | null>('stats')

/** Failure types of refused updates; the API maps them to HTTP statuses. */
export const refusals = {
  illegalTransition: 'IllegalTransition',
  countMismatch: 'CountMismatch',
  approverIsCreator: 'ApproverIsCreator',
  invalidInput: 'InvalidInput',
} as const
