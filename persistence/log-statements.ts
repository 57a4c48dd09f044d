import type { Database } from './database'
import {
  sqliteStatement,
  withDriverConnection,
  type PostgresConnection,
  type SqliteConnection,
} from './driver'

/**
 * The one statement of the send loop, on the database driver directly (prepared once per connection):
 * record a message as sent and claim the lane's next message, in one commit. Query building per
 * message would cost more CPU than the SMTP exchange it accompanies.
 */
export interface SettleStatement {
  /** Returns whether `claimId` was claimed (false when another attempt holds it or it is final). */
  run(args: { now: Date; token: string; sentId: number | null; claimId: number | null }): Promise<boolean>
}

const sqliteSent = `update sending_log set status = 'sent', claim = null, sent_at = ?, attempts = attempts + 1,
  failure_type = null, failure_reason = null, updated_at = ? where id = ? and claim = ?`
const sqliteClaim = `update sending_log set status = 'sending', claim = ?, updated_at = ?
  where id = ? and status in ('pending', 'retry')`

const postgresSettle = `with sent as (
    update sending_log set status = 'sent', claim = null, sent_at = $1, attempts = attempts + 1,
      failure_type = null, failure_reason = null, updated_at = $1
    where id = $2 and claim = $3 returning id
  ), claimed as (
    update sending_log set status = 'sending', claim = $3, updated_at = $1
    where id = $4 and status in ('pending', 'retry') returning id
  )
  select (select count(*) from claimed)::int as claimed`

export function settleStatement(db: Database): SettleStatement {
  if (db.dialect === 'postgresql') {
    return {
      run: ({ now, token, sentId, claimId }) =>
        withDriverConnection(db, async (connection) => {
          const result = await (connection as PostgresConnection).query({
            name: 'herald_settle_v1',
            text: postgresSettle,
            values: [now, sentId, token, claimId],
          })
          return result.rows[0].claimed === 1
        }),
    }
  }

  return {
    run: ({ now, token, sentId, claimId }) =>
      withDriverConnection(db, (connection) => {
        const sqlite = connection as SqliteConnection
        const sent = sqliteStatement(sqlite, sqliteSent)
        const claim = sqliteStatement(sqlite, sqliteClaim)
        const at = now.getTime()
        return sqlite.transaction(() => {
          if (sentId !== null) sent.run(at, at, sentId, token)
          return claimId !== null && claim.run(token, at, claimId).changes === 1
        })()
      }),
  }
}
