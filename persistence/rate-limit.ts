import type { Database } from './database'

/**
 * Reserves `count` consecutive send slots of one shared limiter (GCRA): every worker advances the same
 * row, so slots never overlap across deliveries, activities or processes. Returns the time of the
 * first slot; the others follow every `intervalMs`.
 */
export async function reserveSlots(
  db: Database,
  name: string,
  count: number,
  intervalMs: number,
  now: number,
): Promise<number> {
  // whole milliseconds, rounded up: a slot may come late, never early
  const span = Math.ceil(count * intervalMs)
  const greatest = db.dialect === 'postgresql' ? 'greatest' : 'max'
  return db.knex.transaction(async (trx) => {
    await trx('rate_limit').insert({ name, next_at: 0 }).onConflict('name').ignore()
    const rows: { next_at: number | string }[] = await trx('rate_limit')
      .where('name', name)
      .update({ next_at: trx.raw(`${greatest}(next_at, ?) + ?`, [now, span]) }, ['next_at'])
    return Number(rows[0].next_at) - span
  })
}
