import { stringify } from 'csv-stringify/sync'
import { messageIdFor } from '../../domain/message-id'
import type { Database } from '../../persistence/database'
import { exclusionLogPages, sendingLogPages, trackingLogPages } from '../../persistence/exports'
import type { exportableLogs } from '../monitoring-schemas'

/** The CSV exports of a delivery's logs: their columns, and the logs streamed a page at a time. */

type Row = object

interface Exporter {
  columns: string[]
  pages: AsyncGenerator<Row[]>
}

async function* mapPages<T>(pages: AsyncGenerator<T[]>, present: (row: T) => Row): AsyncGenerator<Row[]> {
  for await (const page of pages) yield page.map(present)
}

const sendingLogColumns = [
  'id',
  'profileId',
  'email',
  'status',
  'failureType',
  'failureCategory',
  'failureReason',
  'smtpCode',
  'attempts',
  'inDoubt',
  'sentAt',
  'messageId',
]

export const exporters: Record<
  (typeof exportableLogs)[number],
  (db: Database, id: number, messageIdDomain: string) => Exporter
> = {
  'sending-logs': (db, id, domain) => ({
    columns: sendingLogColumns,
    pages: mapPages(sendingLogPages(db, id), (log) => ({
      ...log,
      sentAt: log.sentAt?.toISOString() ?? '',
      messageId: messageIdFor(id, log.profileId, domain),
    })),
  }),
  'exclusion-logs': (db, id) => ({
    columns: ['id', 'profileId', 'email', 'reason'],
    pages: exclusionLogPages(db, id),
  }),
  'tracking-logs': (db, id) => ({
    columns: ['id', 'profileId', 'type', 'url', 'userAgent', 'at'],
    pages: trackingLogPages(db, id),
  }),
}

/**
 * A value a spreadsheet would read as a formula (`=`, `+`, `-`, `@`, tab or carriage return first — user
 * agents and SMTP replies come from outside) is written with a leading `'`, as csv-stringify does it.
 */
const csvOptions = { escape_formulas: true, cast: { boolean: String } }

/** The CSV as a stream: one page of logs read from the database per chunk the client takes. */
export function csvStream({ columns, pages }: Exporter): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder()
  let header = true
  return new ReadableStream({
    async pull(controller) {
      const next = await pages.next()
      if (next.done) {
        if (header)
          controller.enqueue(encoder.encode(stringify([], { ...csvOptions, header: true, columns })))
        return controller.close()
      }
      controller.enqueue(encoder.encode(stringify(next.value, { ...csvOptions, header, columns })))
      header = false
    },
    async cancel() {
      await pages.return(undefined)
    },
  })
}
