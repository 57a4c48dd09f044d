import { OpenAPIHono, type z } from '@hono/zod-openapi'
import type { Right } from '../../domain/roles'
import type { IDelivery } from '../../persistence/entities'
import * as messages from '../../workflows/messages'
import type { AppEnv } from '../auth'
import type { ApiContext } from '../context'
import { loadDelivery } from '../loaders'
import { guardedRoute as route, json, jsonBody, workflowErrors } from '../openapi'
import { presentDelivery } from '../presenters/deliveries'
import * as s from '../schemas'
import type { DeliveryWorkflows } from '../temporal/deliveries'
import { checkRecipientTimeZone, contactDateFrom } from '../validation'
import { checkProofBeforeApproval } from './proofs'

/** A user's command to a delivery's workflow: `POST /deliveries/{id}/<name>`, answered with the delivery. */
interface DeliveryCommand {
  name: string
  right: Right
  /** What the user tries to do, as a refusal names it ("confirm the send of a delivery"). */
  action: string
  summary: string
  body: z.ZodTypeAny
  bodyRequired?: boolean
  send: (workflows: DeliveryWorkflows, delivery: IDelivery, by: string, body: never) => Promise<unknown>
  /** What the API checks before the workflow hears of the command (a 4xx refuses it). */
  check?: (ctx: ApiContext, delivery: IDelivery) => Promise<void>
}

/** The lifecycle's commands (SPEC.md "Delivery lifecycle"), in the order a delivery meets them. */
const deliveryCommands: DeliveryCommand[] = [
  {
    name: 'prepare',
    right: 'editDeliveries',
    action: 'prepare a delivery',
    summary: 'Prepare: compute the target, exclusions and sending logs',
    body: s.NoInput,
    send: (workflows, d, by) => workflows.command(d, messages.prepare, { by }),
  },
  {
    name: 'approve',
    right: 'approveDeliveries',
    action: 'approve a delivery',
    summary:
      'Approve a prepared delivery; refused (409) without a proof of its current content where proofs are required',
    body: s.NoInput,
    check: checkProofBeforeApproval,
    send: (workflows, d, by) => workflows.command(d, messages.approve, { by }),
  },
  {
    name: 'reject',
    right: 'approveDeliveries',
    action: 'reject a delivery',
    summary: 'Reject: back to draft with the reason',
    body: s.RejectInput,
    bodyRequired: true,
    send: (workflows, d, by, body: z.infer<typeof s.RejectInput>) =>
      workflows.command(d, messages.reject, { by, reason: body.reason }),
  },
  {
    name: 'confirm',
    right: 'startDeliveries',
    action: 'confirm the send of a delivery',
    summary: 'Confirm send; `expectedMessages` must match the prepared count',
    body: s.ConfirmInput,
    send: (workflows, d, by, body: z.infer<typeof s.ConfirmInput>) =>
      workflows.command(d, messages.confirm, { by, expectedMessages: body.expectedMessages }),
  },
  {
    name: 'schedule',
    right: 'editDeliveries',
    action: 'schedule a delivery',
    summary:
      'Set or move the contact date (null: send once confirmed); a delivery sent in waves moves the waves not started yet',
    body: s.ScheduleInput,
    bodyRequired: true,
    send: (workflows, d, by, body: z.infer<typeof s.ScheduleInput>) => {
      const timeZone = body.timeZone === undefined ? d.timeZone : body.timeZone
      checkRecipientTimeZone(d.recipientTimeZone, body.contactDate)
      const contactDate = contactDateFrom(body.contactDate, timeZone, 'contactDate')
      return workflows.command(d, messages.schedule, { by, contactDate, timeZone: body.timeZone })
    },
  },
  {
    name: 'pause',
    right: 'startDeliveries',
    action: 'pause a delivery',
    summary: 'Pause sending (acts within one batch)',
    body: s.NoInput,
    send: (workflows, d, by) => workflows.command(d, messages.pause, { by }),
  },
  {
    name: 'resume',
    right: 'startDeliveries',
    action: 'resume a delivery',
    summary: 'Resume a paused delivery',
    body: s.NoInput,
    send: (workflows, d, by) => workflows.command(d, messages.resume, { by }),
  },
  {
    name: 'stop',
    right: 'startDeliveries',
    action: 'stop a delivery',
    summary: 'Stop: what is not sent stays unsent',
    body: s.NoInput,
    send: (workflows, d, by) => workflows.command(d, messages.stop, { by }),
  },
]

/** Registers one command route; its handler loads the delivery, sends the command and replies. */
function command(app: OpenAPIHono<AppEnv>, ctx: ApiContext, options: DeliveryCommand) {
  const { name, right, action, summary, body, bodyRequired = false, send, check } = options
  app.openapi(
    route(right, action, {
      method: 'post',
      path: `/deliveries/{id}/${name}`,
      summary,
      request: { params: s.IdParam, body: jsonBody(body, bodyRequired) },
      responses: { 200: json(s.Delivery, 'The delivery after the command'), ...workflowErrors },
    }),
    async (c) => {
      const { id } = c.req.valid('param')
      const input = (c.req.valid('json' as never) ?? {}) as never
      const delivery = await loadDelivery(ctx.db, id)
      await check?.(ctx, delivery)
      await send(ctx.temporal.deliveries, delivery, c.get('user').name, input)
      return c.json(await presentDelivery(ctx, await loadDelivery(ctx.db, id)), 200)
    },
  )
}

/** The commands that move a delivery through its lifecycle; the workflow refuses illegal ones (409). */
export function deliveryCommandRoutes(ctx: ApiContext) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: ctx.validationHook })
  for (const options of deliveryCommands) command(app, ctx, options)
  return app
}
