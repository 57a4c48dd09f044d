import { Readable, Transform, pipeline } from 'node:stream'
import { parse, CsvError } from 'csv-parse'
import type { Database } from '../persistence/database'
import {
  CsvHeaderError,
  mapHeader,
  readProfileRow,
  type ColumnTarget,
  type ProfileRow,
} from '../domain/profile-csv'
import {
  createImportJob,
  discardImport,
  endStaging,
  recordRejections,
  stageRows,
  type ImportMode,
  type Rejection,
} from '../persistence/imports'
import { badRequest } from './errors'

/** Rows staged per statement while the file streams in: memory stays flat whatever the file's size. */
const stagingBatch = 1000

/** Refuses bytes no text file holds (NUL) and bytes that are not UTF-8, as the file streams in. */
function utf8Text(): Transform {
  const decoder = new TextDecoder('utf-8', { fatal: true })
  const refuse = (message: string) => badRequest('body', `not a CSV file: ${message}`)
  return new Transform({
    readableObjectMode: false,
    transform(chunk: Buffer, _encoding, done) {
      if (chunk.includes(0)) return done(refuse('binary content (NUL bytes)'))
      try {
        done(null, decoder.decode(chunk, { stream: true }))
      } catch {
        done(refuse('not UTF-8 text'))
      }
    },
    flush(done) {
      try {
        done(null, decoder.decode())
      } catch {
        done(refuse('not UTF-8 text (cut in a character)'))
      }
    },
  })
}

interface CsvRecord {
  record: string[]
  info: { lines: number }
}

/** The CSV records of a request body, each with the line it ends on. */
function csvRecords(body: ReadableStream<Uint8Array>, delimiter: string): AsyncIterable<CsvRecord> {
  const parser = parse({
    delimiter,
    info: true,
    relax_column_count: true,
    skip_empty_lines: true,
    max_record_size: 1_000_000,
  })
  pipeline(Readable.fromWeb(body as never), utf8Text(), parser, () => undefined)
  return parser
}

export interface StagedImport {
  importId: number
  rows: number
}

/**
 * Reads the file: the header first (a file whose header no import could mean is refused before anything
 * is written), then every row, checked, staged in batches or recorded as rejected with its line. A file
 * that stops being CSV midway is refused whole: the job and all it staged are deleted.
 */
export async function stageCsv(
  db: Database,
  body: ReadableStream<Uint8Array>,
  options: { mode: ImportMode; delimiter: string; createdBy: string },
): Promise<StagedImport> {
  const records = csvRecords(body, options.delimiter)[Symbol.asyncIterator]()
  const header = await next(records)
  if (!header) throw badRequest('body', 'an empty file: send a header row, then one row per profile')
  const targets = headerTargets(header.record)
  const importId = await createImportJob(db, options.mode, options.createdBy)
  try {
    await stageRecords(db, importId, targets, records)
    return { importId, rows: await endStaging(db, importId) }
  } catch (err) {
    await discardImport(db, importId)
    throw err
  }
}

async function stageRecords(
  db: Database,
  importId: number,
  targets: ColumnTarget[],
  records: AsyncIterator<CsvRecord>,
) {
  let rows: { line: number; row: ProfileRow }[] = []
  let rejections: Rejection[] = []
  // One batch is written while the next is read: at most two batches in memory.
  let writing: Promise<void> = Promise.resolve()
  let failed: { error: unknown } | null = null
  const written = async () => {
    await writing
    if (failed) throw failed.error
  }
  const flush = async () => {
    const batch = { rows, rejections }
    rows = []
    rejections = []
    await written()
    writing = (async () => {
      const duplicates = await stageRows(db, importId, batch.rows)
      await recordRejections(db, importId, [...batch.rejections, ...duplicates])
    })().catch((error: unknown) => {
      failed = { error }
    })
  }
  try {
    for (let record = await next(records); record; record = await next(records)) {
      const read = readProfileRow(targets, record.record)
      if ('reason' in read) rejections.push({ line: record.info.lines, reason: read.reason })
      else rows.push({ line: record.info.lines, row: read })
      if (rows.length + rejections.length >= stagingBatch) await flush()
    }
    await flush()
  } finally {
    // A file refused midway is discarded only once the batch being written has landed.
    await writing
  }
  await written()
}

function headerTargets(header: string[]): ColumnTarget[] {
  try {
    return mapHeader(header)
  } catch (err) {
    if (err instanceof CsvHeaderError) throw badRequest('header', `${err.column} ${err.message}`)
    throw err
  }
}

/** The next record; a parse error is the file not being CSV (400, naming the line). */
async function next(records: AsyncIterator<CsvRecord>): Promise<CsvRecord | null> {
  try {
    const result = await records.next()
    return result.done ? null : result.value
  } catch (err) {
    if (err instanceof CsvError) throw badRequest('body', `not a CSV file: ${err.message}`)
    throw err
  }
}
