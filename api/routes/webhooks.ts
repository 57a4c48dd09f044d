import crypto from 'node:crypto'
import { OpenAPIHono, z } from '@hono/zod-openapi'
import type { AppEnv } from '../auth'
import { notFound } from '../errors'
import * as s from '../schemas'
import { errorReplies, guardedRoute as route, json, jsonBody } from '../openapi'
import type { ApiContext } from '../context'
import { webhookEventTypes, webhookUrlProblem } from '../../domain/webhooks'
import {
  createWebhookEndpoint,
  deleteWebhookEndpoint,
  listWebhookEndpoints,
} from '../../persistence/webhooks'

export const WebhookCreate = z
  .strictObject({
    url: z
      .string()
      .superRefine((url, issue) => {
        const problem = webhookUrlProblem(url)
        if (problem) issue.addIssue({ code: 'custom', message: problem })
      })
      .openapi({ example: 'https://ops.example.com/herald-events' }),
    events: z.array(z.enum(webhookEventTypes)).min(1).max(webhookEventTypes.length),
    secret: z
      .string()
      .min(16)
      .max(255)
      .regex(/^[\x21-\x7e]+$/, 'visible ASCII characters only')
      .optional()
      .openapi({ description: 'Signs every POST; made for you (and shown once) when absent' }),
  })
  .openapi('WebhookCreate')

const WebhookEndpoint = z
  .object({
    id: z.number(),
    url: z.string(),
    events: z.array(z.enum(webhookEventTypes)),
    createdBy: z.string(),
    createdAt: z.string(),
    pending: z.number(),
    delivered: z.number(),
    abandoned: z.number(),
    lastError: z.string().nullable(),
  })
  .openapi('WebhookEndpoint')

/** Outgoing webhooks: administrators register the endpoints Herald POSTs signed lifecycle events to. */
export function webhookRoutes(ctx: ApiContext) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: ctx.validationHook })

  app.openapi(
    route('administer', 'register webhooks', {
      method: 'post',
      path: '/webhooks',
      summary: 'Register a webhook endpoint (its secret is shown once)',
      request: { body: jsonBody(WebhookCreate) },
      responses: {
        201: json(WebhookEndpoint.extend({ secret: z.string() }), 'The endpoint, with its signing secret'),
        ...errorReplies(503),
      },
    }),
    async (c) => {
      const { url, events, secret: given } = c.req.valid('json')
      const secret = given ?? crypto.randomBytes(32).toString('base64url')
      const id = await createWebhookEndpoint(ctx.db, {
        url,
        events: [...new Set(events)],
        secret,
        createdBy: c.get('user').name,
      })
      try {
        await ctx.temporal.webhooks.start(id)
      } catch (err) {
        // No endpoint without its dispatcher: it would collect events nobody sends.
        await deleteWebhookEndpoint(ctx.db, id)
        throw err
      }
      const created = (await listWebhookEndpoints(ctx.db)).find((e) => e.id === id)!
      return c.json({ ...created, secret }, 201)
    },
  )

  app.openapi(
    route('administer', 'list webhooks', {
      method: 'get',
      path: '/webhooks',
      summary: 'Webhook endpoints, with their events pending, delivered and abandoned',
      responses: { 200: json(z.object({ items: z.array(WebhookEndpoint) }), 'Endpoints') },
    }),
    async (c) => c.json({ items: await listWebhookEndpoints(ctx.db) }, 200),
  )

  app.openapi(
    route('administer', 'delete webhooks', {
      method: 'delete',
      path: '/webhooks/{id}',
      summary: 'Delete a webhook endpoint and its undelivered events',
      request: { params: s.IdParam },
      responses: { 204: { description: 'Deleted' } },
    }),
    async (c) => {
      if (!(await deleteWebhookEndpoint(ctx.db, c.req.valid('param').id))) throw notFound('webhook endpoint')
      return c.body(null, 204)
    },
  )

  return app
}
