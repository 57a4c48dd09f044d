import { messageIdFor } from '../../domain/message-id'
import type { SendingLogRow } from '../../persistence/delivery-logs'

/** A sending log with the Message-ID its message carried (what bounce reports name). */
export function presentSendingLog(log: SendingLogRow, deliveryId: number, messageIdDomain: string) {
  const { sentAt, nextRetryAt, plannedAt, ...rest } = log
  return {
    ...rest,
    messageId: messageIdFor(deliveryId, log.profileId, messageIdDomain),
    sentAt: sentAt?.toISOString() ?? null,
    nextRetryAt: nextRetryAt?.toISOString() ?? null,
    plannedAt: plannedAt?.toISOString() ?? null,
  }
}
