import type { Knex } from '@mikro-orm/knex'
import type { Audience } from '../domain/audience'
import type { ExclusionReason } from '../domain/exclusions'
import type { Database } from './database'
import { selectAudience } from './audience-sql'
import { planWaves, type Wave } from '../domain/waves'

export interface TargetCounts {
  target: number
  toDeliver: number
  excluded: Partial<Record<ExclusionReason, number>>
  batches: number
  /** Recipient time zone deliveries: the waves, earliest first, each with its own batches. */
  waves?: Wave[]
}

export interface AppendedCounts extends TargetCounts {
  /** The first of the `batches` new batch numbers. */
  firstBatch: number
  /** Targeted profiles already in the delivery from an earlier run: left as they are. */
  alreadyIncluded: number
}

interface PreparedDelivery {
  id: number
  audience: Audience
  targetLimit?: number | null
  /** Read the contact date in each recipient's zone: the sending logs are planned in waves. */
  recipientTimeZone?: boolean
  contactDate?: Date | null
  timeZone?: string | null
}

/**
 * Computes a delivery's target in the database, set-based: classifies every targeted profile once
 * (no address, invalid, denylisted or unsubscribed, quarantined, duplicate address, beyond the target
 * limit), then writes pending sending logs numbered into batches and exclusion logs with their reason.
 * Replaces any earlier preparation of the same delivery; runs in one transaction.
 */
export async function prepareTarget(
  db: Database,
  delivery: PreparedDelivery,
  batchSize: number,
): Promise<TargetCounts> {
  return db.knex.transaction(async (trx) => {
    await trx('sending_log').where('delivery_id', delivery.id).delete()
    await trx('exclusion_log').where('delivery_id', delivery.id).delete()
    const { firstBatch: _, ...counts } = await classifyAndWrite(db, trx, delivery, batchSize, 0, 0)
    return counts
  })
}

/**
 * Adds to an execution of a recurring delivery the targeted profiles it does not hold yet (one
 * preparation per aggregation period, runs adding to it): the same classification, where an address
 * already in the execution counts as a duplicate, the target limit covers the whole execution, and the
 * new sending logs are numbered in batches after the existing ones. Earlier sending logs stay untouched,
 * so no profile gets two messages from one execution.
 */
export async function appendToTarget(
  db: Database,
  delivery: PreparedDelivery,
  batchSize: number,
  /** Runs in the same transaction, so what the caller records of this preparation commits with it. */
  onPrepared: (trx: Knex.Transaction, counts: AppendedCounts) => Promise<void> = async () => undefined,
): Promise<AppendedCounts> {
  return db.knex.transaction(async (trx) => {
    const [existing] = (await trx('sending_log')
      .where('delivery_id', delivery.id)
      .count('* as count')
      .max('batch_no as last')) as { count: number | string; last: number | string | null }[]
    const firstBatch = existing.last === null ? 0 : Number(existing.last) + 1
    const counts = await classifyAndWrite(db, trx, delivery, batchSize, firstBatch, Number(existing.count))
    const audience = selectAudience(trx, db.dialect, delivery.audience).clearSelect().count('* as count')
    const [{ count: targeted }] = (await audience) as { count: number | string }[]
    const appended = { ...counts, alreadyIncluded: Number(targeted) - counts.target }
    await onPrepared(trx, appended)
    return appended
  })
}

/**
 * The classification, then the writes, in the caller's transaction. Profiles that already have a
 * sending log in the delivery are left out; their addresses make any other profile a duplicate.
 */
async function classifyAndWrite(
  db: Database,
  trx: Knex.Transaction,
  delivery: PreparedDelivery,
  batchSize: number,
  firstBatch: number,
  alreadyIncluded: number,
): Promise<TargetCounts & { firstBatch: number }> {
  const audience = selectAudience(db.knex, db.dialect, delivery.audience).toSQL()
  const limit = Math.max((delivery.targetLimit ?? 2147483647) - alreadyIncluded, 0)
  const classify = `
    with target as (${audience.sql}),
    already as (select lower(trim(s.email)) as email_norm from sending_log s where s.delivery_id = ?),
    classified as (
      select t.id, t.email, t.email_norm, t.time_zone,
        case
          when t.email_norm is null then 'no_address'
          when not t.email_valid then 'invalid_address'
          when not t.subscribed or a.status = 'denylisted' then 'denylisted'
          when a.status = 'quarantined' then 'quarantined'
          when t.email_norm in (select email_norm from already) then 'duplicate_address'
        end as reason
      from target t left join address_status a on a.email = t.email_norm
      where not exists (select 1 from sending_log s where s.delivery_id = ? and s.profile_id = t.id)
    ),
    deduplicated as (
      select id, email, time_zone,
        case
          when reason is null and row_number() over (partition by reason is null, email_norm order by id) > 1
            then 'duplicate_address'
          else reason
        end as reason
      from classified
    ),
    numbered as (
      select id, email, time_zone, reason, row_number() over (partition by reason is null order by id) as n
      from deduplicated
    )
    select id, email, time_zone, n, case when reason is null and n > ? then 'target_limit' else reason end as reason
    from numbered`

  await trx.raw('drop table if exists herald_prep')
  await trx.raw(`create temporary table herald_prep as ${classify}`, [
    ...audience.bindings,
    delivery.id,
    delivery.id,
    limit,
  ])
  const waves = await writeSendingLogs(db, trx, delivery, batchSize, firstBatch)
  // A profile classified again (a later run of the same execution) keeps only its latest exclusion.
  await trx.raw(
    `delete from exclusion_log where delivery_id = ? and profile_id in (select id from herald_prep)`,
    [delivery.id],
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
  const batches = waves ? waves.reduce((sum, w) => sum + w.batches, 0) : Math.ceil(toDeliver / batchSize)
  return { target, toDeliver, excluded, batches, firstBatch, ...(waves ? { waves } : {}) }
}

/**
 * Pending sending logs for the profiles classified as recipients, numbered into batches. A delivery sent
 * at each recipient's local time plans them in waves (domain/waves.ts): each row carries its wave's
 * instant, and each wave has batches of its own.
 */
async function writeSendingLogs(
  db: Database,
  trx: Knex.Transaction,
  delivery: PreparedDelivery,
  batchSize: number,
  firstBatch: number,
): Promise<Wave[] | null> {
  if (!delivery.recipientTimeZone || !delivery.contactDate) {
    await trx.raw(
      `insert into sending_log (delivery_id, profile_id, email, batch_no, status, attempts, in_doubt)
       select ?, id, email, cast((n - 1) / ? as integer) + ?, 'pending', 0, ? from herald_prep where reason is null`,
      [delivery.id, batchSize, firstBatch, false],
    )
    return null
  }
  const zones: { time_zone: string | null; count: number | string }[] = await trx('herald_prep')
    .whereNull('reason')
    .select('time_zone')
    .count('* as count')
    .groupBy('time_zone')
  const planned = planWaves(
    zones.map((z) => ({ zone: z.time_zone, recipients: Number(z.count) })),
    delivery.contactDate.getTime(),
    delivery.timeZone,
    batchSize,
    firstBatch,
  )
  for (const { profileZones, ...wave } of planned) {
    const named = profileZones.filter((z): z is string => z !== null)
    const inWave = [
      named.length ? `time_zone in (${named.map(() => '?').join(', ')})` : null,
      profileZones.includes(null) ? 'time_zone is null' : null,
    ].filter(Boolean)
    await trx.raw(
      `insert into sending_log (delivery_id, profile_id, email, batch_no, status, attempts, in_doubt, planned_at)
       select ?, id, email, cast((row_number() over (order by id) - 1) / ? as integer) + ?, 'pending', 0, ?, ?
       from herald_prep where reason is null and (${inWave.join(' or ')})`,
      [delivery.id, batchSize, wave.firstBatch, false, db.date(new Date(wave.at)), ...named],
    )
  }
  return planned.map(({ profileZones: _, ...wave }) => wave)
}
