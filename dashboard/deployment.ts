import {
  canApply,
  isFinal,
  isSending,
  type DeliveryCommand,
  type DeliveryStatus,
  type LogicalStatus,
} from '../domain/delivery-states'
import { hasRight, missingRoleMessage, type Right, type Role } from '../domain/roles'

/** What the dashboard shows of a delivery: its Deployment block and the actions a user may take. */

/** A delivery as the API returns it (`GET /api/deliveries/{id}`), the fields the dashboard reads. */
export interface DeliveryJson {
  id: number
  label: string
  status: DeliveryStatus
  statusLabel: string
  logicalStatus: LogicalStatus
  subject: string
  tracking: boolean
  messagesToDeliver: number
  targetCount: number
  excludedCount: number
  contactDate: string | null
  timeZone: string | null
  /** Sent at each recipient's local time: the contact date is read in each profile's zone. */
  recipientTimeZone?: boolean
  /** Its waves, earliest first, and the first one with recipients still to send. */
  waves?: WaveJson[] | null
  nextWave?: WaveJson | null
  createdBy: string
  createdAt: string | null
  approvedBy: string | null
  approvedAt: string | null
  confirmedBy: string | null
  confirmedAt: string | null
  sendingStartedAt: string | null
  finishedAt: string | null
  rejectionReason: string | null
  sendError: string | null
  preparationReport: { messages?: { severity: string; message: string }[] } | null
  progress: {
    toDeliver: number
    processed: number
    delivered: number
    failed: number
    pending: number
    retrying: number
    inFlight: number
    inDoubt: number
    percent: number
  }
  workflowId: string
  temporalUrl: string
  /** Open and click rates in percent, once the tracking issue adds them (refreshed by its stats workflow). */
  kpis?: { openRate?: number | null; clickRate?: number | null } | null
  /** An execution of a recurring delivery: its runs send it, the delivery commands do not apply. */
  recurringId?: number | null
  periodKey?: string | null
}

/** One wave of a delivery sent at each recipient's local time, as the API returns it. */
export interface WaveJson {
  at: string
  atText: string
  zones: string[]
  recipients: number
  sent: number
  failed: number
  unfinished: number
}

export interface Tile {
  key: 'toDeliver' | 'sent' | 'delivered' | 'bounces' | 'opens' | 'clicks'
  label: string
  value: string
}

/** `part` as a percentage of `whole`, to one decimal; null when there is nothing to divide by. */
export function percentOf(part: number, whole: number): number | null {
  return whole > 0 ? Math.round((part / whole) * 1000) / 10 : null
}

export function formatPercent(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—'
  return `${Number(value.toFixed(1))} %`
}

export function formatCount(value: number): string {
  return value.toLocaleString('en-US')
}

/**
 * The Deployment KPI tiles (ACS): messages to deliver, sent (processed = delivered + bounces and
 * errors), delivered % and bounces + errors % over processed, and the open and click rates when the
 * delivery has them.
 */
export function deploymentTiles(delivery: Pick<DeliveryJson, 'progress' | 'kpis'>): Tile[] {
  const { toDeliver, processed, delivered, failed } = delivery.progress
  return [
    { key: 'toDeliver', label: 'To deliver', value: formatCount(toDeliver) },
    { key: 'sent', label: 'Sent', value: formatCount(processed) },
    { key: 'delivered', label: 'Delivered', value: formatPercent(percentOf(delivered, processed)) },
    { key: 'bounces', label: 'Bounces + errors', value: formatPercent(percentOf(failed, processed)) },
    { key: 'opens', label: 'Opens', value: formatPercent(delivery.kpis?.openRate) },
    { key: 'clicks', label: 'Clicks', value: formatPercent(delivery.kpis?.clickRate) },
  ]
}

/** While the delivery moves on its own, the page refreshes every second; otherwise every few. */
export function refreshIntervalMs(status: DeliveryStatus): number | null {
  if (isFinal(status)) return null
  return ['preparing', 'start_pending', 'sending', 'retry_pending', 'paused'].includes(status) ? 1000 : 5000
}

export const deliveryActions = [
  'prepare',
  'approve',
  'reject',
  'confirm',
  'schedule',
  'pause',
  'resume',
  'stop',
  'compute-stats',
] as const
export type DeliveryAction = (typeof deliveryActions)[number]

export const actionLabels: Record<DeliveryAction, string> = {
  prepare: 'Prepare',
  approve: 'Approve',
  reject: 'Reject',
  confirm: 'Confirm send',
  schedule: 'Reschedule',
  pause: 'Pause',
  resume: 'Resume',
  stop: 'Stop',
  'compute-stats': 'Compute stats',
}

export interface ActionView {
  action: DeliveryAction
  label: string
  /** Without the right, Confirm send stays in place as the message naming the missing role (ACS). */
  refusal: string | null
}

/**
 * The actions to offer: those the API has a route for, that the delivery's status allows, and that the
 * user's roles grant. `rightFor` reads the right of `POST /api/deliveries/{id}/<action>` from the API.
 * An execution of a recurring delivery is sent by its runs: only Compute stats applies to it.
 */
/** A delivery sent in waves may move the waves it has not sent yet while it is under way. */
function movesWaves(
  action: DeliveryAction,
  delivery: Pick<DeliveryJson, 'status' | 'recipientTimeZone' | 'nextWave'>,
): boolean {
  return (
    action === 'schedule' && !!delivery.recipientTimeZone && !!delivery.nextWave && isSending(delivery.status)
  )
}

export function availableActions(
  delivery: Pick<
    DeliveryJson,
    'status' | 'sendingStartedAt' | 'recurringId' | 'recipientTimeZone' | 'nextWave'
  >,
  roles: readonly Role[],
  rightFor: (action: DeliveryAction) => Right | undefined,
): ActionView[] {
  return deliveryActions.flatMap((action): ActionView[] => {
    const right = rightFor(action)
    const applies =
      action === 'compute-stats'
        ? delivery.sendingStartedAt !== null
        : !delivery.recurringId &&
          (canApply(action as DeliveryCommand, delivery.status) || movesWaves(action, delivery))
    if (!right || !applies) return []
    if (hasRight(roles, right)) return [{ action, label: actionLabels[action], refusal: null }]
    if (action !== 'confirm') return []
    return [
      {
        action,
        label: actionLabels[action],
        refusal: missingRoleMessage(right, 'confirm the send of a delivery'),
      },
    ]
  })
}
