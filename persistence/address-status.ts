import type { Knex } from '@mikro-orm/knex'
import type { Database } from './database'
import type { AddressStatus } from '../domain/address'
import { normaliseEmail } from '../domain/address'
import {
  applyAddressEvent,
  effectiveErrorCount,
  type AddressEvent,
  type AddressRecord,
  type QuarantineRules,
} from '../domain/quarantine'

/** Address statuses (valid, erroneous, quarantined, denylisted), one row per normalised address. */

export interface AddressState extends AddressRecord {
  email: string
}

const toDate = (value: unknown) => (value == null ? null : new Date(value as string | number))

function fromRow(row: Record<string, unknown>): AddressState {
  return {
    email: String(row.email),
    status: row.status as AddressStatus,
    errorCount: Number(row.error_count),
    lastErrorAt: toDate(row.last_error_at)?.getTime() ?? null,
    lastErrorReason: (row.last_error_reason as string | null) ?? null,
  }
}

/**
 * Applies bounces, complaints and unsubscribes, one address at a time in address order, each read and
 * written under a row lock so concurrent deliveries bouncing on one address count every error.
 */
export async function applyAddressEvents(
  db: Database,
  events: { email: string; event: AddressEvent }[],
  rules: QuarantineRules,
): Promise<AddressState[]> {
  const ordered = events
    .map(({ email, event }) => ({ email: normaliseEmail(email), event }))
    .filter((e): e is { email: string; event: AddressEvent } => e.email !== null)
    .sort((a, b) => (a.email < b.email ? -1 : a.email > b.email ? 1 : a.event.at - b.event.at))
  const states: AddressState[] = []
  for (const { email, event } of ordered) {
    states.push(await db.knex.transaction((trx) => applyOne(db, trx, email, event, rules)))
  }
  return states
}

async function applyOne(
  db: Database,
  trx: Knex.Transaction,
  email: string,
  event: AddressEvent,
  rules: QuarantineRules,
): Promise<AddressState> {
  const now = db.date(new Date(event.at))
  await trx('address_status')
    .insert({ email, status: 'valid', error_count: 0, updated_at: now })
    .onConflict('email')
    .ignore()
  const locked = trx('address_status').where('email', email).first()
  const row = await (db.dialect === 'postgresql' ? locked.forUpdate() : locked)
  const next = applyAddressEvent(fromRow(row), event, rules)
  await trx('address_status')
    .where('email', email)
    .update({
      status: next.status,
      error_count: next.errorCount,
      last_error_at: next.lastErrorAt === null ? null : db.date(new Date(next.lastErrorAt)),
      last_error_reason: next.lastErrorReason?.slice(0, 500) ?? null,
      quarantine_type: quarantineType(row, next.status, event),
      updated_at: now,
    })
  if (next.status !== row.status) {
    await recordAddressChange(trx, db, email, {
      status: next.status,
      previous: row.status,
      reason: next.lastErrorReason,
      actor: event.kind === 'unsubscribe' ? 'unsubscribe link' : 'bounces',
      at: new Date(event.at),
    })
  }
  return { email, ...next }
}

/**
 * A successful send clears "erroneous" (one statement per batch; addresses in good standing are not
 * written at all).
 */
export async function clearErroneous(db: Database, emails: string[], rules: QuarantineRules, now: Date) {
  const normalised = [...new Set(emails.map(normaliseEmail).filter((e): e is string => e !== null))]
  for (let i = 0; i < normalised.length; i += 500) {
    const chunk = normalised.slice(i, i + 500)
    const erroneous: { email: string }[] = await db
      .knex('address_status')
      .select('email')
      .whereIn('email', chunk)
      .andWhere('status', 'erroneous')
    if (erroneous.length)
      await applyAddressEvents(
        db,
        erroneous.map((row) => ({ email: row.email, event: { kind: 'success', at: now.getTime() } })),
        rules,
      )
  }
}

export async function listAddresses(
  db: Database,
  q: { status?: AddressStatus; email?: string; page: number; pageSize: number },
  rules: QuarantineRules,
  now: Date,
) {
  const query = db.knex('address_status')
  if (q.status) query.where('status', q.status)
  if (q.email) query.where('email', normaliseEmail(q.email))
  const [{ total }] = (await query.clone().count('* as total')) as { total: number | string }[]
  const rows: Record<string, unknown>[] = await query
    .select('*')
    .orderBy('email')
    .limit(q.pageSize)
    .offset((q.page - 1) * q.pageSize)
  const items = rows.map((row) => presentAddress(fromRow(row), row.updated_at, rules, now))
  return { items, page: q.page, pageSize: q.pageSize, total: Number(total) }
}

export function presentAddress(state: AddressState, updatedAt: unknown, rules: QuarantineRules, now: Date) {
  return {
    email: state.email,
    status: state.status,
    errorCount: effectiveErrorCount(state, now.getTime(), rules),
    lastErrorAt: state.lastErrorAt === null ? null : new Date(state.lastErrorAt).toISOString(),
    reason: state.lastErrorReason,
    updatedAt: toDate(updatedAt)?.toISOString() ?? null,
  }
}

export async function findAddress(
  db: Database,
  email: string,
): Promise<(AddressState & { updatedAt: unknown }) | null> {
  const row = await db.knex('address_status').where('email', normaliseEmail(email)).first()
  return row ? { ...fromRow(row), updatedAt: row.updated_at } : null
}

/** What quarantined an address: the bounce that did (soft ones are released after a while), kept while it lasts. */
function quarantineType(row: Record<string, unknown>, status: AddressStatus, event: AddressEvent) {
  if (status !== 'quarantined') return null
  if (row.status === 'quarantined' && event.kind !== 'hard') return (row.quarantine_type as string) ?? null
  return event.kind === 'hard' ? 'hard' : 'soft'
}

/** One line of an address's history: its status changed, why, and who or what changed it. */
export async function recordAddressChange(
  knex: Knex,
  db: Database,
  email: string,
  change: {
    status: AddressStatus
    previous: AddressStatus | null
    reason: string | null
    actor: string
    at: Date
  },
) {
  await knex('address_history').insert({
    email,
    status: change.status,
    previous_status: change.previous,
    reason: change.reason?.slice(0, 500) ?? null,
    actor: change.actor.slice(0, 255),
    at: db.date(change.at),
  })
}

/** The columns of a released address (by an administrator or the retention schedule): valid, no errors counted. */
export function releasedStatus(db: Database, now: Date) {
  return {
    status: 'valid' as const,
    error_count: 0,
    last_error_reason: null,
    quarantine_type: null,
    updated_at: db.date(now),
  }
}

/** An administrator releases a quarantined or denylisted address: valid again, its counter at zero. */
export async function releaseAddress(
  db: Database,
  email: string,
  now: Date,
  by = 'administrator',
): Promise<boolean> {
  const normalised = normaliseEmail(email)
  return db.knex.transaction(async (trx) => {
    const row = await trx('address_status').where('email', normalised).first()
    if (!row) return false
    await trx('address_status').where('email', normalised).update(releasedStatus(db, now))
    await recordAddressChange(trx, db, normalised!, {
      status: 'valid',
      previous: row.status,
      reason: 'released by an administrator',
      actor: by,
      at: now,
    })
    return true
  })
}

/** An address's history, newest first. */
export async function addressHistory(db: Database, email: string) {
  const rows: Record<string, unknown>[] = await db
    .knex('address_history')
    .where('email', normaliseEmail(email))
    .orderBy('id', 'desc')
    .limit(1000)
  return rows.map((r) => ({
    status: r.status as AddressStatus,
    previousStatus: (r.previous_status as AddressStatus | null) ?? null,
    reason: (r.reason as string | null) ?? null,
    actor: String(r.actor),
    at: new Date(r.at as string | number).toISOString(),
  }))
}
