import { proxyLocalActivities, setCurrentDetails, upsertSearchAttributes } from '@temporalio/workflow'
import type { HeraldActivities } from '../activities'
import type { DeliveryStatus } from '../domain/delivery-states'
import type { DeliveryStatePatch } from '../persistence/deliveries'
import { DeliveryStatusAttribute } from './messages'

/** What the workflows write back to Herald's database: quick local activities, retried briefly. */
export const { recordState, recordRun } = proxyLocalActivities<HeraldActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '500ms', maximumInterval: '10s' },
})

/** A delivery enters a status: Temporal's visibility and Herald's database both follow. */
export async function recordDeliveryStatus(
  deliveryId: number,
  status: DeliveryStatus,
  extra: DeliveryStatePatch = {},
): Promise<void> {
  upsertSearchAttributes([{ key: DeliveryStatusAttribute, value: status }])
  await recordState(deliveryId, { status, ...extra })
}

/** The current details the Temporal UI shows: the status and what the workflow waits for. */
export function showStatus(label: string, waitingFor: string): void {
  setCurrentDetails(`**${label}** — ${waitingFor}`)
}
