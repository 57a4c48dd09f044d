import { setTimeout as sleep } from 'node:timers/promises'
import { OpenAPIHono } from '@hono/zod-openapi'
import {
  recurringCommandAllowedIn,
  type RecurringCommand,
  type RecurringStatus,
} from '../../domain/recurring-runs'
import type { IRecurringDelivery } from '../../persistence/entities'
import { unfinishedRunWorkflows } from '../../persistence/recurring'
import { latestRun, setRecurringStatus } from '../../persistence/recurring-queries'
import type { AppEnv } from '../auth'
import type { ApiContext } from '../context'
import { conflict } from '../errors'
import { loadRecurring } from '../loaders'
import { allErrors as errors, guardedRoute as route, json, jsonBody } from '../openapi'
import { presentReconciled, reconcile } from '../recurring-state'
import * as rs from '../recurring-schemas'
import * as s from '../schemas'

/** A command to a recurring delivery's schedule; `act` returns the status it leaves, null if unchanged. */
interface RecurringCommandRoute {
  name: RecurringCommand
  action: string
  summary: string
  act: (ctx: ApiContext, recurring: IRecurringDelivery, by: string) => Promise<RecurringStatus | null>
}

/**
 * Temporal names a run after the second it is for: a trigger within the second of the latest run would
 * be taken for that run and dropped. It waits for the next second instead.
 */
async function triggerAfterLatestRun(ctx: ApiContext, recurring: IRecurringDelivery): Promise<null> {
  const latest = await latestRun(ctx.db, recurring.id)
  const second = (ms: number) => Math.floor(ms / 1000)
  if (latest && second(latest.scheduledAt.getTime()) >= second(Date.now())) {
    await sleep(1000 - (Date.now() % 1000))
  }
  await ctx.temporal.schedules.trigger(recurring.id)
  return null
}

const recurringCommands: RecurringCommandRoute[] = [
  {
    name: 'pause',
    action: 'pause a recurring delivery',
    summary: 'Pause: no new runs until resumed',
    act: async (ctx, r, by) => {
      await ctx.temporal.schedules.pause(r.id, by)
      return 'paused'
    },
  },
  {
    name: 'resume',
    action: 'resume a recurring delivery',
    summary: 'Resume: runs start again at the next occurrence',
    act: async (ctx, r, by) => {
      await ctx.temporal.schedules.resume(r.id, by)
      return 'active'
    },
  },
  {
    name: 'trigger',
    action: 'trigger a recurring delivery',
    summary: 'Run once now (a run in progress gives way as when the next is due)',
    act: (ctx, r) => triggerAfterLatestRun(ctx, r),
  },
  {
    name: 'stop',
    action: 'stop a recurring delivery',
    summary:
      'Stop for good: delete the schedule; a run waiting for confirmation expires, a send finishes ' +
      '(sent at each recipient’s local time: the waves not sent yet never are)',
    act: async (ctx, r, by) => {
      await setRecurringStatus(ctx.db, r, 'stopped')
      const waveRuns = r.recipientTimeZone ? await unfinishedRunWorkflows(ctx.db, r.id, ['sending']) : []
      await ctx.temporal.schedules.stop(r.id, await unfinishedRunWorkflows(ctx.db, r.id), waveRuns, by)
      return 'stopped'
    },
  },
]

/** Registers one command route: the schedule is read back first, so the command meets its true status. */
function command(app: OpenAPIHono<AppEnv>, ctx: ApiContext, options: RecurringCommandRoute) {
  const { name, action, summary, act } = options
  app.openapi(
    route('runWorkflows', action, {
      method: 'post',
      path: `/recurring-deliveries/{id}/${name}`,
      summary,
      request: { params: s.IdParam, body: jsonBody(s.NoInput, false) },
      responses: { 200: json(rs.RecurringDelivery, 'The recurring delivery after the command'), ...errors },
    }),
    async (c) => {
      const { id } = c.req.valid('param')
      const recurring = await loadRecurring(ctx.db, id)
      await reconcile(ctx, recurring)
      if (!recurringCommandAllowedIn[name].includes(recurring.status)) {
        throw conflict(`cannot ${name} a recurring delivery that is ${recurring.status}`)
      }
      const status = await act(ctx, recurring, c.get('user').name)
      if (status) await setRecurringStatus(ctx.db, recurring, status)
      return c.json(await presentReconciled(ctx, id), 200)
    },
  )
}

/** Pause, resume, trigger and stop a recurring delivery (the `workflow` role runs recurrences). */
export function recurringCommandRoutes(ctx: ApiContext) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: ctx.validationHook })
  for (const options of recurringCommands) command(app, ctx, options)
  return app
}
