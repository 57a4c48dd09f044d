import type { Knex } from '@mikro-orm/knex'
import type { Database } from './database'
import type { ProfileRow } from '../domain/profile-csv'

/**
 * CSV imports, set-based: the file's rows are staged in `import_row` as the file streams in (a duplicate
 * externalId refused by the table's unique key, not by a set in memory), then applied in chunks of
 * lines, each chunk one transaction that updates the profiles it matches, inserts the others, records
 * its rejections, deletes its staged rows and moves the job's mark — so a chunk retried after a crash
 * is applied once.
 */

export type ImportMode = 'upsert' | 'insert'
export type ImportStatus = 'staging' | 'running' | 'finished' | 'failed'

export interface Rejection {
  line: number
  reason: string
}

/** Rejections a reply lists; the job counts them all. */
const listedRejections = 1000

export async function createImportJob(db: Database, mode: ImportMode, createdBy: string): Promise<number> {
  const now = db.date(new Date())
  const [row] = await db
    .knex('import_job')
    .insert({ status: 'staging', mode, created_by: createdBy, created_at: now, updated_at: now })
    .returning('id')
  return Number(typeof row === 'object' ? row.id : row)
}

/** Stages checked rows; a row whose externalId an earlier line has is rejected, naming that line. */
export async function stageRows(
  db: Database,
  importId: number,
  rows: { line: number; row: ProfileRow }[],
): Promise<Rejection[]> {
  if (rows.length === 0) return []
  const kept = new Set<number>()
  const staged =
    db.dialect === 'postgresql'
      ? await stageAsJson(db, importId, rows)
      : await stageAsRows(db, importId, rows)
  for (const r of staged) kept.add(Number(r.line))
  const duplicates = rows.filter((r) => !kept.has(r.line))
  if (duplicates.length === 0) return []
  const earlier: { line: number; external_id: string }[] = await db
    .knex('import_row')
    .select('line', 'external_id')
    .where('import_id', importId)
    .whereIn(
      'external_id',
      duplicates.map((d) => d.row.externalId!),
    )
  const lineOf = new Map(earlier.map((r) => [r.external_id, Number(r.line)]))
  return duplicates.map(({ line, row }) => ({
    line,
    reason: `duplicate in file: line ${lineOf.get(row.externalId!)} has this externalId`,
  }))
}

/** SQLite takes at most 500 rows in one multi-row insert (knex writes it as a compound SELECT). */
async function stageAsRows(db: Database, importId: number, rows: { line: number; row: ProfileRow }[]) {
  const staged: { line: number }[] = []
  for (let i = 0; i < rows.length; i += 400) {
    staged.push(
      ...((await db
        .knex('import_row')
        .insert(rows.slice(i, i + 400).map(({ line, row }) => stagedColumns(importId, line, row)))
        .onConflict(['import_id', 'external_id'])
        .ignore()
        .returning('line')) as { line: number }[]),
    )
  }
  return staged
}

/**
 * PostgreSQL: the batch as one JSON parameter, turned into rows by json_to_recordset — a multi-row VALUES of
 * the same batch binds ten thousand parameters, which cost more to build and parse than the insert itself.
 */
async function stageAsJson(db: Database, importId: number, rows: { line: number; row: ProfileRow }[]) {
  const records = rows.map(({ line, row }) => {
    const { email_valid: _, import_id: __, ...columns } = stagedColumns(importId, line, row)
    return columns
  })
  const result = await db.knex.raw(
    `insert into import_row (import_id, line, external_id, email, email_norm, first_name, last_name, time_zone,
       subscribed, attributes)
     select ?::integer, r.* from json_to_recordset(?::json) as r(line integer, external_id text, email text,
       email_norm text, first_name text, last_name text, time_zone text, subscribed boolean, attributes text)
     on conflict (import_id, external_id) do nothing
     returning line`,
    [importId, JSON.stringify(records)],
  )
  return (result as { rows: { line: number }[] }).rows
}

function stagedColumns(importId: number, line: number, row: ProfileRow) {
  return {
    import_id: importId,
    line,
    external_id: row.externalId,
    email: row.email,
    email_norm: row.emailNorm,
    email_valid: true,
    first_name: row.firstName,
    last_name: row.lastName,
    time_zone: row.timeZone,
    subscribed: row.subscribed,
    attributes: row.attributes ? JSON.stringify(row.attributes) : null,
  }
}

export async function recordRejections(db: Database, importId: number, rejections: Rejection[]) {
  for (let i = 0; i < rejections.length; i += 400) {
    await db
      .knex('import_rejection')
      .insert(rejections.slice(i, i + 400).map((r) => ({ import_id: importId, ...r })))
  }
}

/** The file is read whole: the job is ready to apply, its staging rejections counted. */
export async function endStaging(db: Database, importId: number) {
  const [{ rows }] = await db.knex('import_row').where('import_id', importId).count('* as rows')
  const [{ rejected }] = await db.knex('import_rejection').where('import_id', importId).count('* as rejected')
  await db
    .knex('import_job')
    .where('id', importId)
    .update({
      status: 'running',
      rows: Number(rows),
      rejected: Number(rejected),
      updated_at: db.date(new Date()),
    })
  return Number(rows)
}

/** A file that turned out not to be CSV: the job and all it staged go, as if it had never come. */
export async function discardImport(db: Database, importId: number) {
  await db.knex('import_row').where('import_id', importId).delete()
  await db.knex('import_rejection').where('import_id', importId).delete()
  await db.knex('import_job').where('id', importId).delete()
}

/**
 * Uploads that began before `before` and never finished staging (the API stopped while the file came in):
 * their staged rows and the job go. A new upload calls this, so they do not pile up.
 */
export async function discardAbandonedImports(db: Database, before: Date): Promise<number> {
  const abandoned: { id: number }[] = await db
    .knex('import_job')
    .select('id')
    .where('status', 'staging')
    .andWhere('created_at', '<', db.date(before))
  for (const { id } of abandoned) await discardImport(db, Number(id))
  return abandoned.length
}

/** Applies the next `chunkRows` staged lines; `done` once none is left (the job is then finished). */
export async function applyImportChunk(
  db: Database,
  importId: number,
  chunkRows: number,
  now = new Date(),
): Promise<{ done: boolean }> {
  return db.knex.transaction(async (trx) => {
    const job = await lockJob(db, trx, importId)
    if (!job || job.status !== 'running') return { done: true }
    const from = Number(job.applied_line)
    const last = await trx('import_row')
      .where('import_id', importId)
      .andWhere('line', '>', from)
      .orderBy('line')
      .offset(chunkRows - 1)
      .first('line')
    const through = last ? Number(last.line) : 2 ** 31 - 1
    const chunk = () =>
      trx('import_row')
        .where('import_id', importId)
        .andWhere('line', '>', from)
        .andWhere('line', '<=', through)
    const counts = await applyStagedRows(db, trx, importId, job.mode, chunk, now)
    const [{ lastLine }] = (await chunk().max('line as lastLine')) as { lastLine: unknown }[]
    await chunk().delete()
    const done = !last
    await trx('import_job')
      .where('id', importId)
      .update({
        applied_line: lastLine == null ? from : Number(lastLine),
        created: trx.raw('created + ?', [counts.created]),
        updated: trx.raw('updated + ?', [counts.updated]),
        rejected: trx.raw('rejected + ?', [counts.rejected]),
        updated_at: db.date(now),
        ...(done ? { status: 'finished', finished_at: db.date(now) } : {}),
      })
    return { done }
  })
}

async function lockJob(db: Database, trx: Knex.Transaction, importId: number) {
  const query = trx('import_job').where('id', importId).first('status', 'mode', 'applied_line')
  return db.dialect === 'postgresql' ? query.forUpdate() : query
}

/** One chunk: match existing profiles by externalId, then update them (or reject them) and insert the rest. */
async function applyStagedRows(
  db: Database,
  trx: Knex.Transaction,
  importId: number,
  mode: ImportMode,
  chunk: () => Knex.QueryBuilder,
  now: Date,
) {
  await chunk()
    .whereNotNull('external_id')
    .update({
      profile_id: trx.raw('(select p.id from profile p where p.external_id = import_row.external_id)'),
    })
  const [{ matched }] = await chunk().whereNotNull('profile_id').count('* as matched')
  let rejected = 0
  if (mode === 'insert') {
    rejected = Number(matched)
    await trx.raw(
      `insert into import_rejection (import_id, line, reason)
       select import_id, line, 'externalId exists already (mode=insert)' from import_row
       where import_id = ? and line in (${chunk().whereNotNull('profile_id').select('line').toQuery()})`,
      [importId],
    )
  } else {
    await updateMatchedProfiles(db, trx, importId, chunk, now)
  }
  const created = await insertNewProfiles(db, trx, chunk, now)
  return { created, updated: mode === 'insert' ? 0 : Number(matched), rejected }
}

/** An empty cell keeps the profile's value; attributes given are merged into the profile's. */
async function updateMatchedProfiles(
  db: Database,
  trx: Knex.Transaction,
  importId: number,
  chunk: () => Knex.QueryBuilder,
  now: Date,
) {
  const keep = (column: string) => `${column} = coalesce(r.${column}, profile.${column})`
  const attributes =
    db.dialect === 'postgresql'
      ? `attributes = profile.attributes || coalesce(r.attributes, '{}')::jsonb`
      : `attributes = json_patch(profile.attributes, coalesce(r.attributes, '{}'))`
  const lines = chunk().whereNotNull('profile_id').select('line').toQuery()
  await trx.raw(
    `update profile set ${['email', 'email_norm', 'first_name', 'last_name', 'time_zone', 'subscribed'].map(keep).join(', ')},
       email_valid = case when r.email is null then profile.email_valid else r.email_valid end,
       ${attributes}, updated_at = ?
     from import_row r
     where r.import_id = ? and r.profile_id = profile.id and r.line in (${lines})`,
    [db.date(now), importId],
  )
}

async function insertNewProfiles(
  db: Database,
  trx: Knex.Transaction,
  chunk: () => Knex.QueryBuilder,
  now: Date,
) {
  const [{ fresh }] = await chunk().whereNull('profile_id').count('* as fresh')
  if (Number(fresh) === 0) return 0
  const attributes =
    db.dialect === 'postgresql' ? `coalesce(attributes, '{}')::jsonb` : `coalesce(attributes, '{}')`
  const rows = chunk()
    .whereNull('profile_id')
    .orderBy('line')
    .select(
      'external_id',
      'email',
      'email_norm',
      'email_valid',
      'first_name',
      'last_name',
      'time_zone',
      trx.raw(attributes),
      trx.raw('coalesce(subscribed, true)'),
      trx.raw('?', [db.date(now)]),
      trx.raw('?', [db.date(now)]),
    )
    .toQuery()
  await trx.raw(
    `insert into profile (external_id, email, email_norm, email_valid, first_name, last_name, time_zone,
       attributes, subscribed, created_at, updated_at) ${rows}`,
  )
  return Number(fresh)
}

export interface ImportSummary {
  id: number
  status: ImportStatus
  mode: ImportMode
  rows: number
  applied: number
  created: number
  updated: number
  rejected: number
  rejections: Rejection[]
  createdBy: string
  createdAt: string
  finishedAt: string | null
}

const iso = (value: unknown) => (value == null ? null : new Date(value as string | number).toISOString())

export async function readImport(db: Database, id: number): Promise<ImportSummary | null> {
  const job = await db.knex('import_job').where('id', id).first()
  if (!job) return null
  const rejections: { line: number; reason: string }[] = await db
    .knex('import_rejection')
    .select('line', 'reason')
    .where('import_id', id)
    .orderBy('line')
    .limit(listedRejections)
  const [{ left }] = await db.knex('import_row').where('import_id', id).count('* as left')
  return {
    id,
    status: job.status,
    mode: job.mode,
    rows: Number(job.rows),
    applied: Number(job.rows) - Number(left),
    created: Number(job.created),
    updated: Number(job.updated),
    rejected: Number(job.rejected),
    rejections: rejections.map((r) => ({ line: Number(r.line), reason: r.reason })),
    createdBy: job.created_by,
    createdAt: iso(job.created_at)!,
    finishedAt: iso(job.finished_at),
  }
}
