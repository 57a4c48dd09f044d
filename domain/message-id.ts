/**
 * One Message-ID per (delivery, profile): a resend after a crash carries the same id, so mailbox
 * providers and the sink can recognise a duplicate.
 */
export function messageIdFor(deliveryId: number, profileId: number, domain: string): string {
  return `<herald.d${deliveryId}.p${profileId}@${domain}>`
}

export function parseMessageId(messageId: string): { deliveryId: number; profileId: number } | null {
  const match = /^<?herald\.d(\d+)\.p(\d+)@[^>]+>?$/.exec(messageId.trim())
  return match ? { deliveryId: Number(match[1]), profileId: Number(match[2]) } : null
}
