import type { Audience } from '../domain/audience'
import type { ExclusionReason } from '../domain/exclusions'
import type { Database } from './database'
import { selectAudience } from './audience-sql'

export interface TargetCounts {
  target: number
  toDeliver: number
  excluded: Partial<Record<ExclusionReason, number>>
  batches: number
}

/**
 * Computes a delivery's target in the database, set-based: classifies every targeted profile once
 * (no address, invalid, denylisted or unsubscribed, quarantined, duplicate address, beyond the target
 * limit), then writes pending sending logs numbered into batches and exclusion logs with their reason.
 * Replaces any earlier preparation of the same delivery; runs in one transaction.
 */
export async function prepareTarget(
  db: Database,
  delivery: { id: number; audience: Audience; targetLimit?: number | null },
  batchSize: number,
): Promise<TargetCounts> {
  const audience = selectAudience(db.knex, db.dialect, delivery.audience).toSQL()
  const limit = delivery.targetLimit ?? 2147483647
  const classify = `
    with target as (${audience.sql}),
    classified as (
      select t.id, t.email, t.email_norm,
        case
          when t.email_norm is null then 'no_address'
          when not t.email_valid then 'invalid_address'
          when not t.subscribed or a.status = 'denylisted' then 'denylisted'
          when a.status = 'quarantined' then 'quarantined'
        end as reason
      from target t left join address_status a on a.email = t.email_norm
    ),
    deduplicated as (
      select id, email,
        case
          when reason is null and row_number() over (partition by reason is null, email_norm order by id) > 1
            then 'duplicate_address'
          else reason
        end as reason
      from classified
    ),
    numbered as (
      select id, email, reason, row_number() over (partition by reason is null order by id) as n
      from deduplicated
    )
    select id, email, n, case when reason is null and n > ? then 'target_limit' else reason end as reason
    from numbered`

  return db.knex.transaction(async (trx) => {
    await trx('sending_log').where('delivery_id', delivery.id).delete()
    await trx('exclusion_log').where('delivery_id', delivery.id).delete()
    await trx.raw('drop table if exists herald_prep')
    await trx.raw(`create temporary table herald_prep as ${classify}`, [...audience.bindings, limit])
    await trx.raw(
      `insert into sending_log (delivery_id, profile_id, email, batch_no, status, attempts, in_doubt)
       select ?, id, email, cast((n - 1) / ? as integer), 'pending', 0, ? from herald_prep where reason is null`,
      [delivery.id, batchSize, false],
    )
    await trx.raw(
      `insert into exclusion_log (delivery_id, profile_id, email, reason)
       select ?, id, email, reason from herald_prep where reason is not null`,
      [delivery.id],
    )
    const rows: { reason: ExclusionReason | null; count: number | string }[] = await trx('herald_prep')
      .select('reason')
      .count('* as count')
      .groupBy('reason')
    await trx.raw('drop table herald_prep')

    const excluded: Partial<Record<ExclusionReason, number>> = {}
    let toDeliver = 0
    for (const row of rows) {
      if (row.reason === null) toDeliver = Number(row.count)
      else excluded[row.reason] = Number(row.count)
    }
    const target = toDeliver + Object.values(excluded).reduce((sum, n) => sum + (n ?? 0), 0)
    return { target, toDeliver, excluded, batches: Math.ceil(toDeliver / batchSize) }
  })
}
