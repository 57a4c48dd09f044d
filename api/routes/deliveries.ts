import { OpenAPIHono } from '@hono/zod-openapi'
import { WorkflowNotFoundError } from '@temporalio/client'
import { isFinal } from '../../domain/delivery-states'
import { deleteDeliveryRow } from '../../persistence/deliveries'
import { insertDelivery, listDeliveries as findDeliveries } from '../../persistence/delivery-queries'
import * as messages from '../../workflows/messages'
import type { AppEnv } from '../auth'
import type { ApiContext } from '../context'
import { loadDelivery } from '../loaders'
import { errorReplies, guardedRoute as route, json, jsonBody, readRoute, workflowErrors } from '../openapi'
import { presentDelivery } from '../presenters/deliveries'
import * as s from '../schemas'
import { badRequest } from '../errors'
import { checkApprovalSkip, checkAudience, checkRecipientTimeZone, contactDateFrom } from '../validation'

const createDelivery = route('editDeliveries', 'create a delivery', {
  method: 'post',
  path: '/deliveries',
  summary: 'Create a delivery (draft) and its workflow',
  request: { body: jsonBody(s.DeliveryCreate) },
  responses: { 201: json(s.Delivery, 'The new delivery'), ...errorReplies(503) },
})

const listDeliveries = readRoute('read deliveries', {
  path: '/deliveries',
  summary: 'List deliveries, newest first',
  request: { query: s.DeliveryQuery },
  reply: json(s.page(s.Delivery), 'A page of deliveries'),
})

const readDelivery = readRoute('read deliveries', {
  path: '/deliveries/{id}',
  summary: 'A delivery with its status, counts and live progress',
  request: { params: s.IdParam },
  reply: json(s.Delivery, 'The delivery'),
})

const editDelivery = route('editDeliveries', 'edit a delivery', {
  method: 'patch',
  path: '/deliveries/{id}',
  summary: 'Change content or audience; a prepared delivery goes back to draft',
  request: { params: s.IdParam, body: jsonBody(s.DeliveryPatch) },
  responses: { 200: json(s.Delivery, 'The delivery'), ...workflowErrors },
})

const deleteDelivery = route('editDeliveries', 'delete a delivery', {
  method: 'delete',
  path: '/deliveries/{id}',
  summary: 'Delete a delivery that is not being sent',
  request: { params: s.IdParam },
  responses: { 204: { description: 'Deleted' }, ...workflowErrors },
})

/** Deliveries (SPEC.md "Deliveries"): create, list, read, edit and delete; each has its workflow. */
export function deliveryRoutes(ctx: ApiContext) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: ctx.validationHook })
  const { db, temporal } = ctx
  const reply = async (id: number) => presentDelivery(ctx, await loadDelivery(db, id))

  app.openapi(createDelivery, async (c) => {
    const input = c.req.valid('json')
    checkAudience(input.audience)
    checkApprovalSkip(input.requireApproval, ctx.config.approval, c.get('user'))
    checkRecipientTimeZone(input.recipientTimeZone, input.contactDate)
    const contactDate = contactDateFrom(input.contactDate, input.timeZone, 'contactDate')
    const delivery = await insertDelivery(db, {
      ...input,
      contactDate: contactDate === null ? null : new Date(contactDate),
      guarantee: input.guarantee ?? ctx.config.defaultGuarantee,
      requireApproval: input.requireApproval ?? true,
      recipientTimeZone: input.recipientTimeZone ?? false,
      createdBy: c.get('user').name,
    })
    try {
      await temporal.deliveries.create(delivery)
    } catch (err) {
      await deleteDeliveryRow(db, delivery.id)
      throw err
    }
    return c.json(await presentDelivery(ctx, delivery), 201)
  })

  app.openapi(listDeliveries, async (c) => {
    const { page, pageSize, status, search } = c.req.valid('query')
    const { items, total } = await findDeliveries(db, { status, search }, { page, pageSize })
    const presented = await Promise.all(items.map((item) => presentDelivery(ctx, item)))
    return c.json({ items: presented, page, pageSize, total }, 200)
  })

  app.openapi(readDelivery, async (c) => c.json(await reply(c.req.valid('param').id), 200))

  app.openapi(editDelivery, async (c) => {
    const { id } = c.req.valid('param')
    const changes = c.req.valid('json')
    if (changes.audience) checkAudience(changes.audience)
    const delivery = await loadDelivery(db, id)
    if (changes.recipientTimeZone && !delivery.contactDate)
      throw badRequest(
        'recipientTimeZone',
        'sending at each recipient’s local time needs a contact date: schedule one first',
      )
    await temporal.deliveries.command(delivery, messages.edit, { by: c.get('user').name, changes })
    return c.json(await reply(id), 200)
  })

  app.openapi(deleteDelivery, async (c) => {
    const delivery = await loadDelivery(db, c.req.valid('param').id)
    try {
      await temporal.deliveries.command(delivery, messages.remove, { by: c.get('user').name })
    } catch (err) {
      // A delivery whose workflow has completed is only rows now.
      if (!(err instanceof WorkflowNotFoundError) || !isFinal(delivery.status)) throw err
      await deleteDeliveryRow(db, delivery.id)
    }
    return c.body(null, 204)
  })

  return app
}
