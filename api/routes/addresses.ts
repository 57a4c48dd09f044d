import { OpenAPIHono, z } from '@hono/zod-openapi'
import { normaliseEmail } from '../../domain/address'
import { parseMessageId } from '../../domain/message-id'
import { categorise, type FailureCategory } from '../../domain/failure-categories'
import { recordReportedFailure } from '../../persistence/failure-categories'
import type { AddressEvent } from '../../domain/quarantine'
import {
  applyAddressEvents,
  findAddress,
  listAddresses,
  presentAddress,
  releaseAddress,
} from '../../persistence/address-status'
import type { Database } from '../../persistence/database'
import { sentMessageAddress } from '../../persistence/delivery-logs'
import type { AppEnv } from '../auth'
import { badRequest, notFound } from '../errors'
import * as m from '../monitoring-schemas'
import { allErrors as errors, guardedRoute as route, json, jsonBody } from '../openapi'
import type { ApiContext } from '../context'

type BounceEvent = z.infer<typeof m.BounceEvent>

/** Quarantine and denylist (administrators), and the webhook for asynchronous bounces and complaints. */
export function addressRoutes(ctx: ApiContext) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: ctx.validationHook })
  const { db } = ctx
  const rules = ctx.config.quarantine

  app.openapi(
    route('administer', 'read address statuses', {
      method: 'get',
      path: '/addresses',
      summary: 'Addresses with a status: erroneous, quarantined, denylisted (and why)',
      request: { query: m.AddressQuery },
      responses: {
        200: json(z.object({ items: z.array(m.Address) }).passthrough(), 'A page of addresses'),
        ...errors,
      },
    }),
    async (c) => c.json(await listAddresses(db, c.req.valid('query'), rules, new Date()), 200),
  )

  app.openapi(
    route('administer', 'release addresses', {
      method: 'post',
      path: '/addresses/{email}/release',
      summary: 'Release a quarantined or denylisted address: valid again, its error counter at zero',
      request: { params: m.EmailParam },
      responses: { 200: json(m.Address, 'The address, released'), ...errors },
    }),
    async (c) => {
      const { email } = c.req.valid('param')
      const now = new Date()
      if (!(await releaseAddress(db, email, now, c.get('user').name))) throw notFound(`address ${email}`)
      const released = (await findAddress(db, email))!
      return c.json(presentAddress(released, released.updatedAt, rules, now), 200)
    },
  )

  app.openapi(
    route('reportBounces', 'report bounces', {
      method: 'post',
      path: '/bounces',
      summary: 'Asynchronous bounces and spam complaints, by Message-ID or by address',
      description:
        'A hard bounce quarantines the address and fails a message that was recorded as sent; a soft ' +
        'bounce counts towards quarantine; a complaint denylists the address; an `ignored` event ' +
        '(auto-reply, out of office) only notes its category on the message and is no bounce. Each ' +
        'failure gets a category (given, or read from the reason). Every event is checked before any is ' +
        'applied.',
      request: { body: jsonBody(m.BounceReport) },
      responses: {
        200: json(z.object({ addresses: z.array(m.Address) }), 'The addresses after the events'),
        ...errors,
      },
    }),
    async (c) => {
      const { events } = c.req.valid('json')
      const resolved = await Promise.all(events.map((event, i) => resolveBounce(db, event, `events.${i}`)))
      for (const { message, report } of resolved) {
        if (message && report) await recordReportedFailure(db, message, report)
      }
      const now = new Date()
      const counted = resolved.filter((b): b is ResolvedBounce & { event: AddressEvent } => b.event !== null)
      const states = await applyAddressEvents(db, counted, rules)
      return c.json({ addresses: states.map((state) => presentAddress(state, now, rules, now)) }, 200)
    },
  )

  return app
}

interface ResolvedBounce {
  email: string
  /** What the event does to the address; null for an ignored one. */
  event: AddressEvent | null
  message: { deliveryId: number; profileId: number } | null
  report: Parameters<typeof recordReportedFailure>[2] | null
}

/** Which address (and which message) an event is about; 400 naming the field when it cannot be known. */
async function resolveBounce(db: Database, event: BounceEvent, field: string): Promise<ResolvedBounce> {
  if (Boolean(event.messageId) === Boolean(event.email))
    throw badRequest(field, 'give either messageId or email')
  const at = event.at ? new Date(event.at).getTime() : Date.now()
  const reason = event.reason ?? `${event.type} bounce reported`
  const addressEvent: AddressEvent | null =
    event.type === 'complaint'
      ? { kind: 'complaint', reason: event.reason, at }
      : event.type === 'ignored'
        ? null
        : { kind: event.type, reason, at }
  const report =
    event.type === 'complaint'
      ? null
      : { type: event.type, reason, category: event.category ?? categoriseReport(event.type, reason) }
  if (event.email) {
    const email = normaliseEmail(event.email)
    if (!email) throw badRequest(`${field}.email`, 'is empty')
    return { email, event: addressEvent, message: null, report }
  }
  const message = parseMessageId(event.messageId!)
  if (!message) throw badRequest(`${field}.messageId`, 'not a Message-ID that Herald sent')
  const email = await sentMessageAddress(db, message)
  if (!email) throw badRequest(`${field}.messageId`, 'no message with this Message-ID was sent')
  return { email, event: addressEvent, message, report }
}

/** An auto-reply is `ignored` whatever its words; a bounce's words never make it one. */
function categoriseReport(type: 'hard' | 'soft' | 'ignored', reason: string): FailureCategory {
  if (type === 'ignored') return 'ignored'
  const category = categorise(null, reason)
  return category === 'ignored' ? 'other' : category
}
