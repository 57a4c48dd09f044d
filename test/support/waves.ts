import type { Harness } from './harness'

/** Helpers for the tests of sends at each recipient's local time (waves). */

/** The first message the sink received for this address, if any. */
export const arrival = (h: Harness, email: string) =>
  h.sink.messages.find((m) => m.to.some((to) => to.toLowerCase() === email.toLowerCase()))

/** A delivery's sending logs (the first ten), with each one's planned time. */
export const sendingLogs = async (h: Harness, id: number) =>
  (await h.api('GET', `/api/deliveries/${id}/sending-logs?pageSize=10`)).body.items as {
    email: string
    profileId: number
    status: string
    plannedAt: string | null
  }[]
