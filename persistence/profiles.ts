import type { Database } from './database'
import { isValidEmail, normaliseEmail } from '../domain/address'

export interface ProfileInput {
  externalId?: string
  email?: string | null
  firstName?: string | null
  lastName?: string | null
  timeZone?: string | null
  attributes?: Record<string, unknown>
  subscribed?: boolean
}

const chunkSize = 500

function row(db: Database, input: ProfileInput, now: Date) {
  const email = input.email?.trim() || null
  return {
    external_id: input.externalId ?? null,
    email,
    email_norm: normaliseEmail(email),
    email_valid: email ? isValidEmail(email) : true,
    first_name: input.firstName ?? null,
    last_name: input.lastName ?? null,
    time_zone: input.timeZone ?? null,
    attributes: JSON.stringify(input.attributes ?? {}),
    subscribed: input.subscribed ?? true,
    created_at: db.date(now),
    updated_at: db.date(now),
  }
}

/**
 * Inserts new profiles and updates those whose externalId exists already, in chunks, in one
 * transaction. Returns ids in input order.
 */
export async function upsertProfiles(
  db: Database,
  inputs: ProfileInput[],
): Promise<{ ids: number[]; created: number; updated: number }> {
  const now = new Date()
  const ids: number[] = new Array(inputs.length)
  let updated = 0
  await db.knex.transaction(async (trx) => {
    for (let start = 0; start < inputs.length; start += chunkSize) {
      const chunk = inputs.slice(start, start + chunkSize).map((input, i) => ({ input, index: start + i }))
      const keyed = chunk.filter((c) => c.input.externalId)
      const plain = chunk.filter((c) => !c.input.externalId)
      if (keyed.length) {
        const existing: { external_id: string }[] = await trx('profile')
          .select('external_id')
          .whereIn(
            'external_id',
            keyed.map((c) => c.input.externalId!),
          )
        updated += existing.length
        const rows: { id: number; external_id: string }[] = await trx('profile')
          .insert(keyed.map((c) => row(db, c.input, now)))
          .onConflict('external_id')
          .merge(mergeColumns(keyed.map((c) => c.input)))
          .returning(['id', 'external_id'])
        const byKey = new Map(rows.map((r) => [r.external_id, Number(r.id)]))
        for (const c of keyed) ids[c.index] = byKey.get(c.input.externalId!)!
      }
      if (plain.length) {
        const rows: { id: number }[] = await trx('profile')
          .insert(plain.map((c) => row(db, c.input, now)))
          .returning(['id'])
        plain.forEach((c, i) => (ids[c.index] = Number(rows[i].id)))
      }
    }
  })
  return { ids, created: inputs.length - updated, updated }
}

/** An update changes only the fields the import gives (a missing field keeps its value). */
function mergeColumns(inputs: ProfileInput[]): string[] {
  const columns = new Set<string>(['updated_at'])
  for (const input of inputs) {
    if (input.email !== undefined) columns.add('email').add('email_norm').add('email_valid')
    if (input.firstName !== undefined) columns.add('first_name')
    if (input.lastName !== undefined) columns.add('last_name')
    if (input.timeZone !== undefined) columns.add('time_zone')
    if (input.attributes !== undefined) columns.add('attributes')
    if (input.subscribed !== undefined) columns.add('subscribed')
  }
  return [...columns]
}

function present(r: Record<string, unknown>) {
  return {
    id: Number(r.id),
    externalId: (r.external_id as string | null) ?? null,
    email: (r.email as string | null) ?? null,
    emailValid: Boolean(r.email_valid),
    firstName: (r.first_name as string | null) ?? null,
    lastName: (r.last_name as string | null) ?? null,
    timeZone: (r.time_zone as string | null) ?? null,
    attributes: (typeof r.attributes === 'string' ? JSON.parse(r.attributes) : r.attributes) as Record<
      string,
      unknown
    >,
    subscribed: Boolean(r.subscribed),
    createdAt: new Date(r.created_at as string).toISOString(),
    updatedAt: new Date(r.updated_at as string).toISOString(),
  }
}

export async function listProfiles(db: Database, q: { page: number; pageSize: number; email?: string }) {
  const query = db.knex('profile')
  if (q.email) query.where('email_norm', normaliseEmail(q.email))
  const [{ total }] = (await query.clone().count('* as total')) as { total: number | string }[]
  const rows = await query
    .select('*')
    .orderBy('id')
    .limit(q.pageSize)
    .offset((q.page - 1) * q.pageSize)
  return { items: rows.map(present), page: q.page, pageSize: q.pageSize, total: Number(total) }
}

export async function getProfile(db: Database, id: number) {
  const r = await db.knex('profile').where('id', id).first()
  return r ? present(r) : null
}
