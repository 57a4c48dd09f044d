import type { Database } from './database'
import type { TrackingEvent } from './tracking'
import { preparedQuery } from './driver'

const maxRows = 1000
const retryMs = 1000
/** A user agent is stored up to this length; a held hit keeps no more of it. */
const maxUserAgent = 500

/** Stores a JSON array of hits `[deliveryId, profileId, type, linkNo, userAgent, epochMs]`, for messages that left. */
const insertHits = {
  name: 'herald_tracking_insert_v2',
  postgres: `insert into tracking_log (delivery_id, profile_id, type, link_no, user_agent, created_at)
    select (v ->> 0)::int, (v ->> 1)::int, v ->> 2, (v ->> 3)::int, v ->> 4, to_timestamp((v ->> 5)::bigint / 1000.0)
    from jsonb_array_elements($1::jsonb) v
    where exists (select 1 from sending_log s where s.delivery_id = (v ->> 0)::int and s.profile_id = (v ->> 1)::int
      and s.status not in ('pending', 'retry'))
    returning delivery_id, profile_id`,
  sqlite: `insert into tracking_log (delivery_id, profile_id, type, link_no, user_agent, created_at)
    select v.value ->> 0, v.value ->> 1, v.value ->> 2, v.value ->> 3, v.value ->> 4, v.value ->> 5
    from json_each(?) v
    where exists (select 1 from sending_log s where s.delivery_id = v.value ->> 0 and s.profile_id = v.value ->> 1
      and s.status not in ('pending', 'retry'))
    returning delivery_id, profile_id`,
}

/** A hit refused because `maxHeld` hits are already waiting to be stored (the database is down or slow). */
export class TrackingBufferFull extends Error {
  constructor(maxHeld: number) {
    super(`${maxHeld} tracking hits are already waiting to be stored`)
  }
}

interface Pending {
  event: TrackingEvent
  /** Absent for a buffered hit: nobody waits for it, but it is kept until it is stored. */
  done?: (stored: boolean) => void
  fail?: (err: Error) => void
}

/**
 * Stores tracking hits many at a time, in one prepared statement per batch. Two ways in:
 * - `record` waits until the hit is committed and says whether the message exists (clicks, the mirror
 *   page, unsubscribes: their answer depends on it);
 * - `buffer` returns at once (open pixels, the volume): the hit is inserted with the next batch, a
 *   failed insert is retried, and `drain` — called on shutdown — returns once every hit is stored.
 * A batch takes every hit that arrived in the same turn of the event loop. While the database is down,
 * buffered hits wait in memory, at most `maxHeld` of them (with those being inserted): beyond that a hit
 * is refused — `buffer` returns false, `record` throws TrackingBufferFull — and counted in `refused`.
 */
export class TrackingWriter {
  private queue: Pending[] = []
  private inserting = 0
  private flushing: Promise<void> | null = null
  private retryTimer: NodeJS.Timeout | null = null
  private readonly statement: (params: unknown[]) => Promise<Record<string, unknown>[]>
  /** Hits refused since the process started, because `maxHeld` were waiting. */
  refused = 0

  constructor(
    db: Database,
    private readonly maxHeld: number,
  ) {
    this.statement = preparedQuery(db, insertHits)
  }

  /** Hits waiting to be stored, those being inserted included. */
  get held(): number {
    return this.queue.length + this.inserting
  }

  record(event: TrackingEvent): Promise<boolean> {
    if (!this.hasRoom()) return Promise.reject(new TrackingBufferFull(this.maxHeld))
    return new Promise((done, fail) => this.push({ event, done, fail }))
  }

  /** False when the hit is refused: `maxHeld` hits are waiting already. */
  buffer(event: TrackingEvent): boolean {
    if (!this.hasRoom()) return false
    this.push({ event })
    return true
  }

  private hasRoom(): boolean {
    if (this.held < this.maxHeld) return true
    this.refused++
    return false
  }

  /** Resolves once every hit recorded or buffered so far is stored (retrying failed inserts). */
  async drain(): Promise<void> {
    for (;;) {
      if (this.retryTimer) {
        clearTimeout(this.retryTimer)
        this.retryTimer = null
        this.schedule()
      }
      if (this.flushing) await this.flushing
      else if (this.queue.length) this.schedule()
      else return
    }
  }

  private push(pending: Pending): void {
    const agent = pending.event.userAgent
    // A copy, not a slice of the header: a waiting hit must not keep a long header alive.
    if (agent && agent.length > maxUserAgent)
      pending.event = { ...pending.event, userAgent: Buffer.from(agent.slice(0, maxUserAgent)).toString() }
    this.queue.push(pending)
    if (!this.retryTimer) this.schedule()
  }

  private schedule(): void {
    // Wait for the end of this event-loop turn: every request read in it joins the same insert.
    this.flushing ??= new Promise((resolve) => setImmediate(resolve)).then(() => this.flushAll())
  }

  private async flushAll(): Promise<void> {
    while (this.queue.length) {
      const batch = this.queue.splice(0, maxRows)
      this.inserting = batch.length
      try {
        const stored = await this.insert(batch.map((p) => p.event)).finally(() => (this.inserting = 0))
        for (const p of batch) p.done?.(stored.has(`${p.event.deliveryId}.${p.event.profileId}`))
      } catch (err) {
        for (const p of batch) p.fail?.(err as Error)
        // Buffered hits are nobody's to retry but ours: keep them, and try again in a while.
        this.queue.unshift(...batch.filter((p) => !p.done))
        this.flushing = null
        this.retryTimer = setTimeout(() => {
          this.retryTimer = null
          this.schedule()
        }, retryMs)
        return
      }
    }
    this.flushing = null
  }

  /** One prepared statement whatever the number of hits: the batch travels as one JSON parameter. */
  private async insert(events: TrackingEvent[]): Promise<Set<string>> {
    const json = JSON.stringify(
      events.map((e) => [
        e.deliveryId,
        e.profileId,
        e.type,
        e.linkNo ?? null,
        e.userAgent ?? null,
        e.at.getTime(),
      ]),
    )
    const rows = await this.statement([json])
    return new Set(rows.map((r) => `${r.delivery_id}.${r.profile_id}`))
  }
}
