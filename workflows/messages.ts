import { defineQuery, defineUpdate } from '@temporalio/workflow'
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common'
import type { DeliveryCommand, DeliveryStatus } from '../domain/delivery-states'
import type { DeliveryChanges } from '../domain/delivery'

/** The messages a delivery workflow understands; the API sends exactly these. */

/** `delivery-42`; a prefix keeps apart several Herald databases that share one namespace. */
export const deliveryWorkflowId = (deliveryId: number, prefix = '') => `${prefix}delivery-${deliveryId}`

/**
 * The prefix of a workflow Herald named `<prefix><stem>…`, for inputs recorded before the prefix travelled
 * in the workflow's input (see DeliveryWorkflowInput.workflowIdPrefix).
 */
export function recordedPrefix(workflowId: string, stem: string): string {
  const at = workflowId.lastIndexOf(stem)
  return at > 0 ? workflowId.slice(0, at) : ''
}

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

/** What each command carries, as its update declares it (the workflow's handlers take exactly these). */
export interface CommandInputs {
  prepare: Actor
  approve: Actor
  reject: Actor & { reason: string }
  /** `expectedMessages` is the count the user saw; a different prepared count refuses the confirm. */
  confirm: Actor & { expectedMessages?: number }
  schedule: Actor & { contactDate: number | null; timeZone?: string | null }
  edit: Actor & { changes: DeliveryChanges }
  pause: Actor
  resume: Actor
  stop: Actor
  delete: Actor
}

const command = <K extends DeliveryCommand>(name: K) =>
  defineUpdate<DeliveryView, [CommandInputs[K]], K>(name)

export const prepare = command('prepare')
export const approve = command('approve')
export const reject = command('reject')
export const confirm = command('confirm')
export const schedule = command('schedule')
export const edit = command('edit')
export const pause = command('pause')
export const resume = command('resume')
export const stop = command('stop')
export const remove = command('delete')

export const state = defineQuery<DeliveryView>('state')

/** Failure types of refused updates; the API maps them to HTTP statuses. */
export const refusals = {
  illegalTransition: 'IllegalTransition',
  countMismatch: 'CountMismatch',
  approverIsCreator: 'ApproverIsCreator',
  invalidInput: 'InvalidInput',
} as const
