import { OpenAPIHono, z } from '@hono/zod-openapi'
import type { MiddlewareHandler } from 'hono'
import type { AppEnv } from '../auth'
import { ApiError, badRequest, notFound } from '../errors'
import * as s from '../schemas'
import { errorReplies, guardedRoute as route, json } from '../openapi'
import type { ApiContext } from '../context'
import { stageCsv } from '../csv-staging'
import {
  applyImportChunk,
  discardAbandonedImports,
  discardImport,
  readImport,
} from '../../persistence/imports'
import { importWorkflowId, type ImportWorkflowInput } from '../../workflows/import'

/** The one path whose body is CSV, not JSON (app.ts lets it through with its own size limit). */
export const csvImportPath = '/api/profiles/import'
/** The dashboard's upload form, which posts the file there (multipart) before it reaches the API. */
export const csvUploadPage = '/imports'

export const isCsv = (contentType: string | undefined) =>
  /^(text\/csv|application\/csv)$/i.test((contentType ?? '').split(';')[0].trim())

/**
 * The size limit of a streamed file. Hono's `bodyLimit` reads a body without Content-Length whole into
 * memory before the route sees it; this one counts the bytes as they pass and fails the stream beyond
 * the limit (413), so a file of any length flows through in constant memory.
 */
export function streamedBodyLimit(maxBytes: number): MiddlewareHandler {
  const tooLarge = () => new ApiError(413, 'too_large', `body: larger than ${maxBytes} bytes`)
  return async (c, next) => {
    const body = c.req.raw.body
    if (!body) return next()
    const length = c.req.header('content-length')
    if (length !== undefined && !c.req.raw.headers.has('transfer-encoding')) {
      if (Number(length) > maxBytes) throw tooLarge()
      return next()
    }
    let size = 0
    const counted = body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          size += chunk.byteLength
          if (size > maxBytes) controller.error(tooLarge())
          else controller.enqueue(chunk)
        },
      }),
    )
    c.req.raw = new Request(c.req.raw, { body: counted, duplex: 'half' } as RequestInit)
    return next()
  }
}

const delimiters: Record<string, string> = { ',': ',', ';': ';', tab: '\t', '\t': '\t', '|': '|' }

const ImportQuery = z.object({
  mode: z.enum(['upsert', 'insert']).default('upsert').openapi({
    description:
      'upsert: update the profile with the same externalId, insert the others; insert: reject rows whose externalId exists',
  }),
  delimiter: z
    .string()
    .default(',')
    .refine((d) => d in delimiters, 'one of , ; | tab')
    .openapi({ description: 'The field separator: , (default) ; | or tab' }),
})

const Rejection = z.object({ line: z.number(), reason: z.string() })
const ImportSummary = z
  .object({
    id: z.number(),
    status: z.enum(['staging', 'running', 'finished', 'failed']),
    mode: z.enum(['upsert', 'insert']),
    rows: z.number().openapi({ description: 'Rows read from the file and accepted for applying' }),
    applied: z.number(),
    created: z.number(),
    updated: z.number(),
    rejected: z.number(),
    rejections: z.array(Rejection).openapi({ description: 'The first 1,000 rejected lines, in line order' }),
    createdBy: z.string(),
    createdAt: z.string(),
    finishedAt: z.string().nullable(),
  })
  .openapi('ImportSummary')

/** CSV profile import (streamed, staged, applied set-based) and its progress. */
export function importRoutes(ctx: ApiContext) {
  const temporal = ctx.temporal.client
  const app = new OpenAPIHono<AppEnv>({ defaultHook: ctx.validationHook })
  const { db, config } = ctx

  app.openapi(
    route('editDeliveries', 'import profiles', {
      method: 'post',
      path: '/profiles/import',
      summary: 'Import profiles from a CSV file (streamed; header row maps the columns)',
      description:
        'Send the file as the body with `Content-Type: text/csv`. The header row names each column: ' +
        '`externalId`, `email`, `firstName`, `lastName`, `timeZone`, `subscribed`, any other name an ' +
        'attribute (`attributes.` prefix optional). An empty cell leaves the field as it is. Rows that ' +
        'cannot be imported are rejected with their line and reason; a file that is not CSV gets 400 and ' +
        `changes nothing. Up to ${config.imports.syncRows} rows are applied before the reply (200); larger ` +
        'files by a workflow (202; follow `GET /api/imports/{id}`).',
      request: {
        query: ImportQuery,
        body: { required: true, content: { 'text/csv': { schema: z.string() } } },
      },
      responses: {
        200: json(ImportSummary, 'Imported: created, updated and rejected rows'),
        202: json(ImportSummary, 'Accepted: a workflow applies the rows; follow GET /api/imports/{id}'),
        ...errorReplies(503),
      },
    }),
    async (c) => {
      const { mode, delimiter } = c.req.valid('query')
      const body = c.req.raw.body
      if (!isCsv(c.req.header('content-type')))
        throw new ApiError(
          415,
          'unsupported_media_type',
          'body: send the CSV file with Content-Type: text/csv',
        )
      if (!body) throw badRequest('body', 'an empty file: send a header row, then one row per profile')
      await discardAbandonedImports(db, new Date(Date.now() - config.imports.stagingTimeoutMs))
      const staged = await stageCsv(db, body, {
        mode,
        delimiter: delimiters[delimiter],
        createdBy: c.get('user').name,
      })
      if (staged.rows <= config.imports.syncRows) {
        while (!(await applyImportChunk(db, staged.importId, config.imports.chunkRows)).done);
        return c.json((await readImport(db, staged.importId))!, 200)
      }
      const input: ImportWorkflowInput = { importId: staged.importId, chunkRows: config.imports.chunkRows }
      try {
        await temporal.workflow.start('profileImportWorkflow', {
          workflowId: importWorkflowId(staged.importId, config.temporal.workflowIdPrefix),
          taskQueue: config.temporal.taskQueue,
          args: [input],
        })
      } catch (err) {
        // No workflow will apply the staged rows: the import is undone, as if the file had never come.
        await discardImport(db, staged.importId)
        throw new ApiError(
          503,
          'unavailable',
          `Temporal did not take the import's workflow (${(err as Error).message}): nothing was imported; send the file again`,
        )
      }
      c.header('location', `/api/imports/${staged.importId}`)
      return c.json((await readImport(db, staged.importId))!, 202)
    },
  )

  app.openapi(
    route('read', 'read imports', {
      method: 'get',
      path: '/imports/{id}',
      summary: 'An import: its progress, created, updated and rejected rows',
      request: { params: s.IdParam },
      responses: { 200: json(ImportSummary, 'The import') },
    }),
    async (c) => {
      const summary = await readImport(db, c.req.valid('param').id)
      if (!summary) throw notFound('import')
      return c.json(summary, 200)
    },
  )

  return app
}
