import { OpenAPIHono, type z } from '@hono/zod-openapi'
import { runStatusLabels, type RunStatus } from '../../domain/recurring-runs'
import { runPage } from '../../persistence/recurring-queries'
import type { AppEnv } from '../auth'
import type { ApiContext } from '../context'
import { conflict } from '../errors'
import { loadRecurring, loadRun } from '../loaders'
import { allErrors as errors, guardedRoute as route, json, jsonBody, readRoute } from '../openapi'
import { presentRuns } from '../presenters/recurring'
import * as rs from '../recurring-schemas'
import * as s from '../schemas'

const listRuns = readRoute('read recurring deliveries', {
  path: '/recurring-deliveries/{id}/runs',
  summary: 'Runs, newest first: status, the messages each added, counts and KPIs',
  request: { params: s.IdParam, query: rs.RunQuery },
  reply: json(s.page(rs.Run), 'A page of runs'),
  errors,
})

const readRun = readRoute('read recurring deliveries', {
  path: '/recurring-deliveries/{id}/runs/{runId}',
  summary: 'One run',
  request: { params: rs.RunParam },
  reply: json(rs.Run, 'The run'),
  errors,
})

const confirmRun = route('startDeliveries', 'confirm the send of a run', {
  method: 'post',
  path: '/recurring-deliveries/{id}/runs/{runId}/confirm',
  summary: 'Confirm a run waiting for confirmation; `expectedMessages` must match what it prepared',
  request: { params: rs.RunParam, body: jsonBody(rs.RunConfirm, false) },
  responses: { 200: json(rs.Run, 'The run, sending'), ...errors },
})

/** The runs of a recurring delivery, and the confirmation of a run that waits for one. */
export function recurringRunRoutes(ctx: ApiContext) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: ctx.validationHook })
  const { db } = ctx
  const presentRun = async (id: number, runId: number) =>
    (await presentRuns(ctx, [await loadRun(db, id, runId)]))[0]

  app.openapi(listRuns, async (c) => {
    const { id } = c.req.valid('param')
    const { page, pageSize, status } = c.req.valid('query')
    await loadRecurring(db, id)
    const { items, total } = await runPage(db, id, status, { page, pageSize })
    return c.json({ items: await presentRuns(ctx, items), page, pageSize, total }, 200)
  })

  app.openapi(readRun, async (c) => {
    const { id, runId } = c.req.valid('param')
    return c.json(await presentRun(id, runId), 200)
  })

  app.openapi(confirmRun, async (c) => {
    const { id, runId } = c.req.valid('param')
    const body = (c.req.valid('json') ?? {}) as z.infer<typeof rs.RunConfirm>
    const run = await loadRun(db, id, runId)
    if (run.status !== 'waiting_for_confirmation') {
      throw conflict(
        `cannot confirm run ${runId}: it is ${runStatusLabels[run.status as RunStatus].toLowerCase()}`,
      )
    }
    await ctx.temporal.schedules.confirm(run.workflowId, {
      by: c.get('user').name,
      expectedMessages: body.expectedMessages,
    })
    return c.json(await presentRun(id, runId), 200)
  })

  return app
}
