import { OpenAPIHono, z } from '@hono/zod-openapi'
import { hasRight, missingRoleMessage, type Right } from '../../domain/roles'
import { logicalStatus, statusLabels, isFinal, type DeliveryStatus } from '../../domain/delivery-states'
import { audienceProblems } from '../../domain/audience'
import { parseContactDate } from '../../domain/schedule'
import { messageIdFor } from '../../domain/message-id'
import { exclusionReasons } from '../../domain/exclusions'
import { Delivery as DeliveryEntity, type IDelivery } from '../../persistence/entities'
import { countSendingLogs, type StatusCounts } from '../../persistence/sending-logs'
import { deleteDeliveryRow } from '../../persistence/deliveries'
import { liveKpis } from '../../persistence/stats'
import * as messages from '../../workflows/messages'
import { WorkflowNotFoundError } from '@temporalio/client'
import type { AppEnv, AuthUser } from '../auth'
import type { ApprovalPolicy } from '../../config/env'
import { badRequest, forbidden, notFound } from '../errors'
import * as s from '../schemas'
import { errorReplies, guardedRoute as route, json, jsonBody, workflowErrors } from '../openapi'
import type { ApiContext } from '../context'
import { executionLinks } from '../recurring-schedules'

export function contactDateFrom(
  value: string | null | undefined,
  timeZone: string | null | undefined,
  field: string,
) {
  if (!value) return null
  try {
    return parseContactDate(value, timeZone)
  } catch (err) {
    throw badRequest(field, (err as Error).message)
  }
}

function checkAudience(audience: Parameters<typeof audienceProblems>[0]): void {
  const [problem] = audienceProblems(audience)
  if (problem) throw badRequest(problem.field, problem.message)
}

/**
 * Approval is skipped only where the installation allows it (HERALD_APPROVAL=optional) and by a creator
 * who may approve: otherwise the author alone could prepare and send to everyone.
 */
function checkApprovalSkip(
  requireApproval: boolean | undefined,
  policy: ApprovalPolicy,
  user: AuthUser,
): void {
  if (requireApproval !== false) return
  if (policy === 'always') {
    throw badRequest(
      'requireApproval',
      'this installation requires the approval of every delivery (HERALD_APPROVAL=always)',
    )
  }
  if (!hasRight(user.roles, 'skipApproval'))
    throw forbidden(missingRoleMessage('skipApproval', 'create a delivery that needs no approval'))
}

export function progressOf(delivery: IDelivery, counts: StatusCounts) {
  const processed = counts.sent + counts.failed + counts.in_doubt
  const toDeliver = delivery.messagesToDeliver
  return {
    toDeliver,
    processed,
    delivered: counts.sent,
    failed: counts.failed + counts.in_doubt,
    pending: counts.pending,
    retrying: counts.retry,
    inFlight: counts.sending,
    inDoubt: counts.inDoubt,
    percent: toDeliver ? Math.round((processed / toDeliver) * 1000) / 10 : 0,
  }
}

export function deliveryRoutes(ctx: ApiContext) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: ctx.validationHook })
  const { db, workflows } = ctx

  const load = async (id: number): Promise<IDelivery> => {
    const delivery = await db.em().findOne(DeliveryEntity, id)
    if (!delivery) throw notFound(`delivery ${id}`)
    return delivery
  }

  const present = async (delivery: IDelivery) => {
    const counts = await countSendingLogs(db, delivery.id)
    const iso = (date: Date | null | undefined) => date?.toISOString() ?? null
    const status = delivery.status as DeliveryStatus
    return {
      id: delivery.id,
      label: delivery.label,
      status,
      statusLabel: statusLabels[status],
      logicalStatus: logicalStatus[status],
      subject: delivery.subject,
      html: delivery.html ?? null,
      text: delivery.text ?? null,
      fromName: delivery.fromName ?? null,
      fromEmail: delivery.fromEmail ?? null,
      audience: delivery.audience,
      contactDate: iso(delivery.contactDate),
      timeZone: delivery.timeZone ?? null,
      tracking: delivery.tracking,
      guarantee: delivery.guarantee,
      requireApproval: delivery.requireApproval,
      targetLimit: delivery.targetLimit ?? null,
      version: delivery.version,
      preparedVersion: delivery.preparedVersion ?? null,
      messagesToDeliver: delivery.messagesToDeliver,
      targetCount: delivery.targetCount,
      excludedCount: delivery.excludedCount,
      preparationReport: delivery.preparationReport ?? null,
      rejectionReason: delivery.rejectionReason ?? null,
      approvedBy: delivery.approvedBy ?? null,
      approvedAt: iso(delivery.approvedAt),
      confirmedBy: delivery.confirmedBy ?? null,
      confirmedAt: iso(delivery.confirmedAt),
      sendingStartedAt: iso(delivery.sendingStartedAt),
      finishedAt: iso(delivery.finishedAt),
      sendError: delivery.sendError ?? null,
      createdBy: delivery.createdBy,
      createdAt: iso(delivery.createdAt),
      updatedAt: iso(delivery.updatedAt),
      progress: progressOf(delivery, counts),
      logsPurgedAt: counts.logsPurgedAt ?? null,
      kpis: (await liveKpis(db, delivery, counts)).kpis,
      recurringId: delivery.recurringId ?? null,
      periodKey: delivery.periodKey ?? null,
      ...(delivery.recurringId
        ? await executionLinks(db, ctx.config.temporal, delivery.id)
        : { workflowId: workflows.workflowId(delivery.id), temporalUrl: workflows.temporalUrl(delivery.id) }),
    }
  }

  const reply = async (id: number) => present(await load(id))

  app.openapi(
    route('editDeliveries', 'create a delivery', {
      method: 'post',
      path: '/deliveries',
      summary: 'Create a delivery (draft) and its workflow',
      request: { body: jsonBody(s.DeliveryCreate) },
      responses: { 201: json(s.Delivery, 'The new delivery'), ...errorReplies(503) },
    }),
    async (c) => {
      const input = c.req.valid('json')
      checkAudience(input.audience)
      checkApprovalSkip(input.requireApproval, ctx.config.approval, c.get('user'))
      const contactDate = contactDateFrom(input.contactDate, input.timeZone, 'contactDate')
      const em = db.em()
      const delivery = em.create(DeliveryEntity, {
        ...input,
        contactDate: contactDate === null ? null : new Date(contactDate),
        guarantee: input.guarantee ?? ctx.config.defaultGuarantee,
        requireApproval: input.requireApproval ?? true,
        createdBy: c.get('user').name,
      } as never)
      await em.flush()
      try {
        await workflows.create(delivery)
      } catch (err) {
        await deleteDeliveryRow(db, delivery.id)
        throw err
      }
      return c.json(await present(delivery), 201)
    },
  )

  app.openapi(
    route('read', 'read deliveries', {
      method: 'get',
      path: '/deliveries',
      summary: 'List deliveries, newest first',
      request: { query: s.DeliveryQuery },
      responses: { 200: json(s.page(s.Delivery), 'A page of deliveries') },
    }),
    async (c) => {
      const { page, pageSize, status, search } = c.req.valid('query')
      const where: Record<string, unknown> = {}
      if (status) where.status = status
      if (search) where.label = { $like: `%${search.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%` }
      const [items, total] = await db.em().findAndCount(DeliveryEntity, where, {
        orderBy: { id: 'desc' },
        limit: pageSize,
        offset: (page - 1) * pageSize,
      })
      return c.json({ items: await Promise.all(items.map(present)), page, pageSize, total }, 200)
    },
  )

  app.openapi(
    route('read', 'read deliveries', {
      method: 'get',
      path: '/deliveries/{id}',
      summary: 'A delivery with its status, counts and live progress',
      request: { params: s.IdParam },
      responses: { 200: json(s.Delivery, 'The delivery') },
    }),
    async (c) => c.json(await reply(c.req.valid('param').id), 200),
  )

  app.openapi(
    route('editDeliveries', 'edit a delivery', {
      method: 'patch',
      path: '/deliveries/{id}',
      summary: 'Change content or audience; a prepared delivery goes back to draft',
      request: { params: s.IdParam, body: jsonBody(s.DeliveryPatch) },
      responses: { 200: json(s.Delivery, 'The delivery'), ...workflowErrors },
    }),
    async (c) => {
      const { id } = c.req.valid('param')
      const changes = c.req.valid('json')
      if (changes.audience) checkAudience(changes.audience)
      const delivery = await load(id)
      await workflows.command(delivery, messages.edit, { by: c.get('user').name, changes })
      return c.json(await reply(id), 200)
    },
  )

  app.openapi(
    route('editDeliveries', 'delete a delivery', {
      method: 'delete',
      path: '/deliveries/{id}',
      summary: 'Delete a delivery that is not being sent',
      request: { params: s.IdParam },
      responses: { 204: { description: 'Deleted' }, ...workflowErrors },
    }),
    async (c) => {
      const delivery = await load(c.req.valid('param').id)
      try {
        await workflows.command(delivery, messages.remove, { by: c.get('user').name })
      } catch (err) {
        // A delivery whose workflow has completed is only rows now.
        if (!(err instanceof WorkflowNotFoundError) || !isFinal(delivery.status)) throw err
        await deleteDeliveryRow(db, delivery.id)
      }
      return c.body(null, 204)
    },
  )

  const command = (
    name: string,
    right: Right,
    action: string,
    summary: string,
    schema: z.ZodTypeAny,
    send: (delivery: IDelivery, by: string, body: never) => Promise<unknown>,
    bodyRequired = false,
  ) =>
    app.openapi(
      route(right, action, {
        method: 'post',
        path: `/deliveries/{id}/${name}`,
        summary,
        request: { params: s.IdParam, body: jsonBody(schema, bodyRequired) },
        responses: { 200: json(s.Delivery, 'The delivery after the command'), ...workflowErrors },
      }),
      async (c) => {
        const { id } = c.req.valid('param')
        const body = (c.req.valid('json' as never) ?? {}) as never
        await send(await load(id), c.get('user').name, body)
        return c.json(await reply(id), 200)
      },
    )

  command(
    'prepare',
    'editDeliveries',
    'prepare a delivery',
    'Prepare: compute the target, exclusions and sending logs',
    s.NoInput,
    (d, by) => workflows.command(d, messages.prepare, { by }),
  )
  command(
    'approve',
    'approveDeliveries',
    'approve a delivery',
    'Approve a prepared delivery',
    s.NoInput,
    (d, by) => workflows.command(d, messages.approve, { by }),
  )
  command(
    'reject',
    'approveDeliveries',
    'reject a delivery',
    'Reject: back to draft with the reason',
    s.RejectInput,
    (d, by, body: { reason: string }) => workflows.command(d, messages.reject, { by, reason: body.reason }),
    true,
  )
  command(
    'confirm',
    'startDeliveries',
    'confirm the send of a delivery',
    'Confirm send; `expectedMessages` must match the prepared count',
    s.ConfirmInput,
    (d, by, body: { expectedMessages?: number }) =>
      workflows.command(d, messages.confirm, { by, expectedMessages: body.expectedMessages }),
  )
  command(
    'schedule',
    'editDeliveries',
    'schedule a delivery',
    'Set or move the contact date (null: send once confirmed)',
    s.ScheduleInput,
    (d, by, body: { contactDate: string | null; timeZone?: string | null }) => {
      const timeZone = body.timeZone === undefined ? d.timeZone : body.timeZone
      const contactDate = contactDateFrom(body.contactDate, timeZone, 'contactDate')
      return workflows.command(d, messages.schedule, { by, contactDate, timeZone: body.timeZone })
    },
    true,
  )
  command(
    'pause',
    'startDeliveries',
    'pause a delivery',
    'Pause sending (acts within one batch)',
    s.NoInput,
    (d, by) => workflows.command(d, messages.pause, { by }),
  )
  command('resume', 'startDeliveries', 'resume a delivery', 'Resume a paused delivery', s.NoInput, (d, by) =>
    workflows.command(d, messages.resume, { by }),
  )
  command(
    'stop',
    'startDeliveries',
    'stop a delivery',
    'Stop: what is not sent stays unsent',
    s.NoInput,
    (d, by) => workflows.command(d, messages.stop, { by }),
  )

  app.openapi(
    route('read', 'read sending logs', {
      method: 'get',
      path: '/deliveries/{id}/sending-logs',
      summary: 'Sending logs: one per recipient, the source of truth of what was sent',
      request: { params: s.IdParam, query: s.SendingLogQuery },
      responses: {
        200: json(s.page(z.record(z.string(), z.unknown())), 'A page of sending logs'),
      },
    }),
    async (c) => {
      const { id } = c.req.valid('param')
      const { page, pageSize, status, failureType, failureReason, inDoubt } = c.req.valid('query')
      await load(id)
      const query = db.knex('sending_log').where('delivery_id', id)
      if (status) query.andWhere('status', status)
      if (failureType) query.andWhere('failure_type', failureType)
      if (failureReason) {
        const pattern = `%${failureReason.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`
        query.andWhereRaw(`lower(failure_reason) like lower(?) escape '\\'`, [pattern])
      }
      if (inDoubt) query.andWhere('in_doubt', inDoubt === 'true')
      const [{ total }] = (await query.clone().count('* as total')) as { total: number | string }[]
      const rows: Record<string, unknown>[] = await query
        .select('*')
        .orderBy('id')
        .limit(pageSize)
        .offset((page - 1) * pageSize)
      const items = rows.map((r) => ({
        id: Number(r.id),
        profileId: Number(r.profile_id),
        email: r.email,
        batchNo: Number(r.batch_no),
        status: r.status,
        failureType: r.failure_type ?? null,
        failureReason: r.failure_reason ?? null,
        smtpCode: r.smtp_code ?? null,
        attempts: Number(r.attempts),
        inDoubt: Boolean(r.in_doubt),
        messageId: messageIdFor(id, Number(r.profile_id), ctx.config.smtp.messageIdDomain),
        sentAt: r.sent_at ? new Date(r.sent_at as string).toISOString() : null,
        nextRetryAt: r.next_retry_at ? new Date(r.next_retry_at as string).toISOString() : null,
      }))
      return c.json({ items, page, pageSize, total: Number(total) }, 200)
    },
  )

  app.openapi(
    route('read', 'read exclusion logs', {
      method: 'get',
      path: '/deliveries/{id}/exclusion-logs',
      summary: 'Profiles left out at preparation, with the reason, and the count per reason',
      request: { params: s.IdParam, query: s.ExclusionLogQuery },
      responses: {
        200: json(z.record(z.string(), z.unknown()), 'A page of exclusion logs and counts per reason'),
      },
    }),
    async (c) => {
      const { id } = c.req.valid('param')
      const { page, pageSize, reason } = c.req.valid('query')
      await load(id)
      const grouped: { reason: string; count: number | string }[] = await db
        .knex('exclusion_log')
        .select('reason')
        .count('* as count')
        .where('delivery_id', id)
        .groupBy('reason')
      const counts = Object.fromEntries(exclusionReasons.map((r) => [r, 0]))
      for (const row of grouped) counts[row.reason] = Number(row.count)
      const query = db.knex('exclusion_log').where('delivery_id', id)
      if (reason) query.andWhere('reason', reason)
      const rows: Record<string, unknown>[] = await query
        .select('id', 'profile_id', 'email', 'reason')
        .orderBy('id')
        .limit(pageSize)
        .offset((page - 1) * pageSize)
      const total = reason ? counts[reason] : Object.values(counts).reduce((a, b) => a + b, 0)
      const items = rows.map((r) => ({
        id: Number(r.id),
        profileId: Number(r.profile_id),
        email: r.email,
        reason: r.reason,
      }))
      return c.json({ items, counts, page, pageSize, total }, 200)
    },
  )

  return app
}
