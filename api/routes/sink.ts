import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi'
import { requireRight, type AppEnv } from '../auth'
import { notFound } from '../errors'
import type { SmtpSink } from '../../mail/smtp-sink'
import * as s from '../schemas'
import type { ApiContext } from '../context'

/** The embedded SMTP sink's mailbox: what Herald actually sent, as received. */
export function sinkRoutes(ctx: ApiContext, sink: SmtpSink) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: ctx.validationHook })
  const read = [requireRight('read', 'read the local mailbox')]

  app.openapi(
    createRoute({
      method: 'get',
      path: '/sink/messages',
      summary: 'Messages the local SMTP sink received (embedded default only), newest first',
      security: [{ bearer: [] }],
      'x-required-right': 'read',
      middleware: read,
      request: { query: s.PageQuery },
      responses: {
        200: {
          description: 'Received messages',
          content: { 'application/json': { schema: s.page(z.record(z.string(), z.unknown())) } },
        },
      },
    }),
    (c) => {
      const { page, pageSize } = c.req.valid('query')
      const newest = [...sink.messages].reverse()
      const items = newest.slice((page - 1) * pageSize, page * pageSize).map(({ file: _file, ...m }) => m)
      return c.json({ items, page, pageSize, total: sink.messages.length }, 200)
    },
  )

  app.openapi(
    createRoute({
      method: 'get',
      path: '/sink/messages/{id}',
      summary: 'One received message: headers, text and HTML',
      security: [{ bearer: [] }],
      'x-required-right': 'read',
      middleware: read,
      request: { params: s.IdParam },
      responses: {
        200: {
          description: 'The message',
          content: { 'application/json': { schema: z.record(z.string(), z.unknown()) } },
        },
      },
    }),
    async (c) => {
      const { id } = c.req.valid('param')
      if (!sink.messages[id - 1]) throw notFound('message')
      const mail = await sink.parsed(id)
      return c.json(
        {
          ...sink.messages[id - 1],
          file: undefined,
          headers: Object.fromEntries(
            [...mail.headerLines].map((h) => [h.key, h.line.slice(h.key.length + 1).trim()]),
          ),
          text: mail.text ?? null,
          html: mail.html || null,
        },
        200,
      )
    },
  )
  return app
}
