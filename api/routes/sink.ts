import { OpenAPIHono, z } from '@hono/zod-openapi'
import type { AppEnv } from '../auth'
import { guardedRoute, json } from '../openapi'
import { notFound } from '../errors'
import type { SmtpSink } from '../../mail/smtp-sink'
import * as s from '../schemas'
import type { ApiContext } from '../context'

/** The embedded SMTP sink's mailbox: what Herald actually sent, as received. */
export function sinkRoutes(ctx: ApiContext, sink: SmtpSink) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: ctx.validationHook })

  app.openapi(
    guardedRoute('read', 'read the local mailbox', {
      method: 'get',
      path: '/sink/messages',
      summary: 'Messages the local SMTP sink received (embedded default only), newest first',
      request: { query: s.PageQuery },
      responses: { 200: json(s.page(z.record(z.string(), z.unknown())), 'Received messages') },
    }),
    (c) => {
      const { page, pageSize } = c.req.valid('query')
      const newest = [...sink.messages].reverse()
      const items = newest.slice((page - 1) * pageSize, page * pageSize).map(({ file: _file, ...m }) => m)
      return c.json({ items, page, pageSize, total: sink.messages.length }, 200)
    },
  )

  app.openapi(
    guardedRoute('read', 'read the local mailbox', {
      method: 'get',
      path: '/sink/messages/{id}',
      summary: 'One received message: headers, text and HTML',
      request: { params: s.IdParam },
      responses: { 200: json(z.record(z.string(), z.unknown()), 'The message') },
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
