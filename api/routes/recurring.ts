import { OpenAPIHono } from '@hono/zod-openapi'
import { countExecutionLogs, emptyCounts } from '../../persistence/recurring'
import {
  deleteRecurringRow,
  executionPage,
  insertRecurring,
  listRecurring,
  runCountsByExecution,
} from '../../persistence/recurring-queries'
import type { AppEnv } from '../auth'
import type { ApiContext } from '../context'
import { loadRecurring } from '../loaders'
import { allErrors as errors, guardedRoute as route, json, jsonBody, readRoute } from '../openapi'
import { presentExecution, presentRecurring } from '../presenters/recurring'
import { presentReconciled, readSchedule } from '../recurring-state'
import * as rs from '../recurring-schemas'
import * as s from '../schemas'
import { recurringFields } from '../validation'

const createRecurring = route('editDeliveries', 'create a recurring delivery', {
  method: 'post',
  path: '/recurring-deliveries',
  summary: 'Create a recurring delivery and its Temporal schedule',
  request: { body: jsonBody(rs.RecurringCreate) },
  responses: { 201: json(rs.RecurringDelivery, 'The new recurring delivery'), ...errors },
})

const listRecurringDeliveries = readRoute('read recurring deliveries', {
  path: '/recurring-deliveries',
  summary: 'List recurring deliveries, newest first, with the totals of their executions',
  request: { query: rs.RecurringQuery },
  reply: json(s.page(rs.RecurringDelivery), 'A page of recurring deliveries'),
  errors,
})

const readRecurring = readRoute('read recurring deliveries', {
  path: '/recurring-deliveries/{id}',
  summary: 'A recurring delivery: its schedule as Temporal has it, and the totals of all its executions',
  request: { params: s.IdParam },
  reply: json(rs.RecurringDelivery, 'The recurring delivery'),
  errors,
})

const listExecutions = readRoute('read recurring deliveries', {
  path: '/recurring-deliveries/{id}/executions',
  summary: 'Executions (one per aggregation period, or per run without aggregation), newest first',
  request: { params: s.IdParam, query: s.PageQuery },
  reply: json(s.page(rs.Execution), 'A page of executions'),
  errors,
})

/**
 * Recurring deliveries (SPEC.md "Recurring deliveries"): each is a Temporal schedule that starts one
 * run workflow per occurrence; runs add to executions, which are deliveries like any other.
 */
export function recurringRoutes(ctx: ApiContext) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: ctx.validationHook })
  const { db } = ctx

  app.openapi(createRecurring, async (c) => {
    const user = c.get('user')
    const fields = recurringFields(c.req.valid('json'), ctx.config, user)
    const recurring = await insertRecurring(db, { ...fields, createdBy: user.name })
    try {
      await ctx.temporal.schedules.create(recurring)
    } catch (err) {
      await deleteRecurringRow(db, recurring.id)
      throw err
    }
    return c.json(await presentRecurring(ctx, recurring, await readSchedule(ctx, recurring)), 201)
  })

  app.openapi(listRecurringDeliveries, async (c) => {
    const { page, pageSize, status } = c.req.valid('query')
    const { items, total } = await listRecurring(db, status, { page, pageSize })
    const presented = await Promise.all(items.map((item) => presentRecurring(ctx, item)))
    return c.json({ items: presented, page, pageSize, total }, 200)
  })

  app.openapi(readRecurring, async (c) => {
    return c.json(await presentReconciled(ctx, c.req.valid('param').id), 200)
  })

  app.openapi(listExecutions, async (c) => {
    const { id } = c.req.valid('param')
    const { page, pageSize } = c.req.valid('query')
    await loadRecurring(db, id)
    const { items, total } = await executionPage(db, id, { page, pageSize })
    const counts = await countExecutionLogs(db, id)
    const runCount = await runCountsByExecution(db, id)
    const presented = await Promise.all(
      items.map((execution) =>
        presentExecution(
          ctx,
          execution,
          counts.get(execution.id) ?? emptyCounts(),
          runCount.get(execution.id) ?? 0,
        ),
      ),
    )
    return c.json({ items: presented, page, pageSize, total }, 200)
  })

  return app
}
