import type { ParsedMail } from 'mailparser'
import { importProfiles, readyDelivery, type Harness } from './harness'

/** A finished delivery with tracking on, to `count` new profiles: its id and the profiles' ids. */
export async function sentTrackedDelivery(
  h: Harness,
  count: number,
  delivery: Record<string, unknown> = {},
  profile?: (i: number) => Record<string, unknown>,
) {
  const ids = await importProfiles(h, count, profile)
  const id = await readyDelivery(h, ids, {
    html: '<p>Hi {{firstName}}, <a href="https://shop.example.com/offer">see the offer</a></p>',
    tracking: true,
    ...delivery,
  })
  const confirmed = await h.api('POST', `/api/deliveries/${id}/confirm`, {
    as: 'start',
    body: { expectedMessages: count },
  })
  if (confirmed.status !== 200) throw new Error(`confirm failed: ${JSON.stringify(confirmed.body)}`)
  await h.waitForStatus(id, 'finished')
  return { id, ids }
}

/** The message one profile received, parsed as the sink got it. */
export async function messageTo(h: Harness, deliveryId: number, profileId: number): Promise<ParsedMail> {
  const received = h.sink.messages.find(
    (m) => m.messageId === `<herald.d${deliveryId}.p${profileId}@herald.localhost>`,
  )
  if (!received) throw new Error(`no message for profile ${profileId} of delivery ${deliveryId}`)
  return h.sink.parsed(received.seq)
}

/** The tracking links of a received message. */
export function trackingLinks(mail: ParsedMail) {
  const body = String(mail.html)
  const one = (pattern: RegExp) => {
    const found = pattern.exec(body)
    if (!found) throw new Error(`no ${pattern} in the message`)
    return found[1]
  }
  return {
    clicks: [...body.matchAll(/href="([^"]*\/t\/c\/[^"]+)"/g)].map((m) => m[1]),
    mirror: one(/href="([^"]*\/t\/m\/[^"]+)"/),
    unsubscribePage: one(/href="([^"]*\/t\/u\/[^"]+)"/),
    pixel: one(/<img src="([^"]*\/t\/o\/[^"]+)"/),
  }
}

/** The delivery's tracking logs, as the API lists them. */
export async function trackingLogs(h: Harness, deliveryId: number) {
  return (await h.api('GET', `/api/deliveries/${deliveryId}/tracking-logs?pageSize=500`, { as: 'viewer' }))
    .body as {
    total: number
    items: { profileId: number; type: string; userAgent: string | null }[]
  }
}
