import type { Database } from './database'
import {
  sqliteStatement,
  withDriverConnection,
  type PostgresConnection,
  type SqliteConnection,
} from './driver'
import { countMessages } from '../observability/metrics'

/**
 * The statements of the send loop, on the database driver directly (prepared once per connection):
 * record messages as sent and claim the lanes' next messages. Every settle asked in one turn of the
 * event loop shares one commit (group commit): the lanes of a worker wait for the disk once together,
 * and query building per message would cost more CPU than the SMTP exchange it accompanies.
 */
export interface Settle {
  /** The message the server accepted, to record as sent (null: none). */
  sentId: number | null
  /** The message to claim next (null: none). */
  claimId: number | null
}

export interface SettleStatement {
  /** Resolves with whether `claimId` was claimed (false when another attempt holds it or it is final). */
  run(settle: Settle): Promise<boolean>
}

const sqliteSent = `update sending_log set status = 'sent', claim = null, sent_at = ?, attempts = attempts + 1,
  failure_type = null, failure_reason = null, failure_category = null, updated_at = ? where id = ? and claim = ?`
const sqliteClaim = `update sending_log set status = 'sending', claim = ?, updated_at = ?
  where id = ? and status in ('pending', 'retry')`

// The rows recorded as sent and those claimed, told apart (the sent ones are counted in the metrics).
const postgresSettle = `with sent as (
    update sending_log set status = 'sent', claim = null, sent_at = $1, attempts = attempts + 1,
      failure_type = null, failure_reason = null, failure_category = null, updated_at = $1
    where id = any($2::int[]) and claim = $3 returning id
  ), claimed as (
    update sending_log set status = 'sending', claim = $3, updated_at = $1
    where id = any($4::int[]) and status in ('pending', 'retry')
    returning id
  )
  select id, true as claimed from claimed union all select id, false from sent`

interface Pending {
  settle: Settle
  done: (claimed: boolean) => void
  fail: (err: Error) => void
}

/** Settles for one claim token (one activity attempt), grouped per event-loop turn. */
export function settleStatement(db: Database, token: string, clock: () => Date): SettleStatement {
  let queue: Pending[] = []
  let scheduled = false

  /** Returns the rows claimed; counts those recorded as sent (a row another attempt took over is not). */
  const commit = async (batch: Pending[]): Promise<Set<number>> => {
    const now = clock()
    const sent = batch.flatMap((p) => (p.settle.sentId === null ? [] : [p.settle.sentId]))
    const claims = batch.flatMap((p) => (p.settle.claimId === null ? [] : [p.settle.claimId]))
    if (db.dialect === 'postgresql') {
      return withDriverConnection(db, async (connection) => {
        const result = await (connection as PostgresConnection).query({
          name: 'herald_settle_v3',
          text: postgresSettle,
          values: [now, sent, token, claims],
        })
        countMessages('sent', result.rows.filter((r) => !r.claimed).length)
        return new Set(result.rows.filter((r) => r.claimed).map((r) => Number(r.id)))
      })
    }
    return withDriverConnection(db, (connection) => {
      const sqlite = connection as SqliteConnection
      const sentStatement = sqliteStatement(sqlite, sqliteSent)
      const claimStatement = sqliteStatement(sqlite, sqliteClaim)
      const at = now.getTime()
      const written = sqlite.transaction(() => {
        let recorded = 0
        for (const id of sent) recorded += sentStatement.run(at, at, id, token).changes
        return {
          recorded,
          claimed: new Set(claims.filter((id) => claimStatement.run(token, at, id).changes === 1)),
        }
      })()
      countMessages('sent', written.recorded)
      return written.claimed
    })
  }

  const flush = async () => {
    scheduled = false
    const batch = queue
    queue = []
    try {
      const claimed = await commit(batch)
      for (const p of batch) p.done(p.settle.claimId !== null && claimed.has(p.settle.claimId))
    } catch (err) {
      for (const p of batch) p.fail(err as Error)
    }
  }

  return {
    run: (settle) =>
      new Promise((done, fail) => {
        queue.push({ settle, done, fail })
        if (!scheduled) {
          scheduled = true
          setImmediate(() => void flush())
        }
      }),
  }
}
