/**
 * The delivery lifecycle in Adobe Campaign Standard terms (SPEC.md, "Lifecycle of a delivery").
 * Pure and deterministic: imported by the workflow, the API and the dashboard alike.
 */

export const deliveryStatuses = [
  'draft',
  'preparing',
  'preparation_failed',
  'awaiting_approval',
  'ready',
  'start_pending',
  'sending',
  'retry_pending',
  'paused',
  'stopped',
  'failed',
  'finished',
] as const
export type DeliveryStatus = (typeof deliveryStatuses)[number]

/** What a user (through the API) can ask of a delivery. */
export type DeliveryCommand =
  'edit' | 'prepare' | 'approve' | 'reject' | 'confirm' | 'schedule' | 'pause' | 'resume' | 'stop' | 'delete'

const editable: readonly DeliveryStatus[] = ['draft', 'preparation_failed', 'awaiting_approval', 'ready']

/** The statuses from which each command is legal; anything else is an illegal transition (HTTP 409). */
export const commandAllowedIn: Record<DeliveryCommand, readonly DeliveryStatus[]> = {
  edit: editable,
  prepare: editable,
  approve: ['awaiting_approval'],
  reject: ['awaiting_approval'],
  confirm: ['ready'],
  // Before the confirmation a new schedule needs a new preparation; once confirmed (start pending) it
  // moves the date and takes the delivery back to "ready": confirmed again, for the new date.
  schedule: [...editable, 'start_pending'],
  pause: ['sending', 'retry_pending'],
  resume: ['paused'],
  stop: ['start_pending', 'sending', 'retry_pending', 'paused'],
  delete: [...editable, 'stopped', 'failed', 'finished'],
}

export const finalStatuses: readonly DeliveryStatus[] = ['stopped', 'failed', 'finished']

export function isFinal(status: DeliveryStatus): boolean {
  return finalStatuses.includes(status)
}

/** Sending, waiting for a retry or paused: the send is under way and only pause, resume and stop act on it. */
export const sendingStatuses: readonly DeliveryStatus[] = ['sending', 'retry_pending', 'paused']

export function isSending(status: DeliveryStatus): boolean {
  return sendingStatuses.includes(status)
}

export function canApply(command: DeliveryCommand, status: DeliveryStatus): boolean {
  return commandAllowedIn[command].includes(status)
}

/** Why a command cannot apply in a status, or null when it can. */
export function illegalTransition(command: DeliveryCommand, status: DeliveryStatus): string | null {
  if (canApply(command, status)) return null
  return `Cannot ${command} a delivery that is ${statusLabels[status].toLowerCase()} (status '${status}')`
}

export class IllegalTransitionError extends Error {
  constructor(
    readonly command: DeliveryCommand,
    readonly status: DeliveryStatus,
  ) {
    super(illegalTransition(command, status) ?? `${command} applies to a delivery that is ${status}`)
    this.name = 'IllegalTransitionError'
  }
}

export function assertCanApply(command: DeliveryCommand, status: DeliveryStatus): void {
  if (!canApply(command, status)) throw new IllegalTransitionError(command, status)
}

/** What a delivery's workflow needs to say what it is waiting for. */
export interface DeliveryProgress {
  status: DeliveryStatus
  messagesToDeliver: number
  contactDate: number | null
  batchesDone: number
  batchCount: number
  /** A delivery sent at each recipient's local time: the next wave, in words naming its zone. */
  nextWave?: { number: number; total: number; text: string }
}

/** What a delivery in this state waits for, in the words of the Temporal UI and the dashboard. */
export function waitingFor(d: DeliveryProgress): string {
  switch (d.status) {
    case 'draft':
      return 'waiting for a user to prepare the delivery'
    case 'preparing':
      return 'computing the target and the sending logs'
    case 'preparation_failed':
      return 'waiting for the content or audience to be fixed, then a new preparation'
    case 'awaiting_approval':
      return `waiting for approval by a user with the "approve" role (${d.messagesToDeliver} messages prepared)`
    case 'ready':
      return `waiting for a user with the "Start deliveries" role to confirm ${d.messagesToDeliver} messages`
    case 'start_pending':
      if (d.nextWave)
        return `waiting for wave ${d.nextWave.number} of ${d.nextWave.total}: ${d.nextWave.text}`
      return `waiting for the contact date ${new Date(d.contactDate ?? 0).toISOString()}`
    case 'sending': {
      const done = `sending: ${d.batchesDone} of ${d.batchCount} batches done`
      const wave = d.nextWave
      return wave ? `${done}; waiting for wave ${wave.number} of ${wave.total}: ${wave.text}` : done
    }
    case 'retry_pending':
      return 'waiting to retry soft-bounced messages within the validity period'
    case 'paused':
      return 'paused: waiting for resume or stop'
    default:
      return 'done'
  }
}

export const statusLabels: Record<DeliveryStatus, string> = {
  draft: 'Draft',
  preparing: 'Preparing',
  preparation_failed: 'Preparation failed',
  awaiting_approval: 'Awaiting approval',
  ready: 'Ready to send',
  start_pending: 'Start pending (scheduled)',
  sending: 'Sending',
  retry_pending: 'Sending (retry)',
  paused: 'Paused',
  stopped: 'Stopped',
  failed: 'Failed',
  finished: 'Finished',
}

/** ACS logical status, which the dashboard shows as a colour. */
export type LogicalStatus = 'editing' | 'in_progress' | 'finished' | 'warning' | 'error'

export const logicalStatus: Record<DeliveryStatus, LogicalStatus> = {
  draft: 'editing',
  preparing: 'in_progress',
  preparation_failed: 'error',
  awaiting_approval: 'editing',
  ready: 'editing',
  start_pending: 'in_progress',
  sending: 'in_progress',
  retry_pending: 'in_progress',
  paused: 'warning',
  stopped: 'warning',
  failed: 'error',
  finished: 'finished',
}
