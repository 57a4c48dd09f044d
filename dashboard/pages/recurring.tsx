import { HTTPException } from 'hono/http-exception'
import { recurringCommands, recurringStatuses } from '../../domain/recurring-runs'
import { bodyOf, type ApiCall } from '../api-client'
import { actionBody, recurringDoneMessages } from '../actions'
import { pageSize, type Dashboard, type DashboardApp, type DashboardContext } from '../context'
import { deploymentTiles } from '../deployment'
import { loadRecurring, oneOf, queryNumber, urlNumber } from '../reads'
import {
  liveFields,
  liveState,
  recurringActions,
  recurringRefreshMs,
  runConfirmation,
  type RecurringJson,
} from '../recurring'
import { query } from '../views/layout'
import { RecurringListPage, RecurringPage } from '../views/recurring'

/** Recurring deliveries: the list, one with its runs and executions, its live figures, its actions. */
export function recurringPages(app: DashboardApp, dash: Dashboard): void {
  const requireRecurring = () => {
    if (!dash.features().has('recurring'))
      throw new HTTPException(404, { message: 'This Herald has no recurring deliveries.' })
  }
  const recurringId = (c: DashboardContext) => {
    requireRecurring()
    return urlNumber('id', c.req.param('id') ?? '')
  }

  app.get('/recurring-deliveries', async (c) => {
    requireRecurring()
    const pageNo = queryNumber('page', c.req.query('page')) ?? 1
    const status = oneOf(c.req.query('status'), recurringStatuses) ?? ''
    const { items, total } = await recurringList(dash.callAs(c), pageNo, status)
    return c.html(
      <RecurringListPage
        page={dash.pageContext(c, 'recurring')}
        items={items}
        total={total}
        pageNo={pageNo}
        pageSize={pageSize}
        status={status}
      />,
    )
  })

  app.get('/recurring-deliveries/:id', async (c) => recurringPage(c, dash, recurringId(c)))

  app.get('/recurring-deliveries/:id/live', async (c) => {
    const { recurring, runs, executions, tiles, live } = await recurringView(c, dash, recurringId(c))
    return c.json({
      state: live.state,
      status: recurring.status,
      tiles,
      fields: liveFields(runs.items, executions.items),
      refreshMs: live.refreshMs,
    })
  })

  app.post('/recurring-deliveries/:id/runs/:runId/confirm', async (c) => {
    const id = recurringId(c)
    const runId = urlNumber('runId', c.req.param('runId') ?? '')
    const form = await c.req.parseBody()
    const reply = await dash.callAs(c)(
      'POST',
      `/api/recurring-deliveries/${id}/runs/${runId}/confirm`,
      actionBody('confirm', form),
    )
    dash.flashReply(c, reply, `Run ${runId} confirmed: sending.`)
    return c.redirect(`/recurring-deliveries/${id}`, 303)
  })

  app.post('/recurring-deliveries/:id/:action', async (c) => {
    const id = recurringId(c)
    const action = oneOf(c.req.param('action'), recurringCommands)
    if (!action) throw new HTTPException(404, { message: 'There is no such action.' })
    const reply = await dash.callAs(c)('POST', `/api/recurring-deliveries/${id}/${action}`, {})
    dash.flashReply(c, reply, recurringDoneMessages[action])
    return c.redirect(`/recurring-deliveries/${id}`, 303)
  })
}

/**
 * One page of recurring deliveries. The list leaves out the schedules; each recurring delivery reads its
 * own from Temporal (next runs). One after the other: 25 in a row take about 250 ms; described
 * concurrently, a schedule more often stalls for 5 s on the Temporal dev server.
 */
async function recurringList(call: ApiCall, pageNo: number, status: string) {
  const reply = bodyOf(
    await call<{ items: RecurringJson[]; total: number }>(
      'GET',
      `/api/recurring-deliveries${query({ page: pageNo, pageSize, status })}`,
    ),
  )
  const items: RecurringJson[] = []
  for (const item of reply.items) {
    const one = await call<RecurringJson>('GET', `/api/recurring-deliveries/${item.id}`)
    items.push(one.ok ? one.body : item)
  }
  return { items, total: reply.total }
}

/** The page's figures, and what a reload would change: polled while a run waits or sends. */
async function recurringView(c: DashboardContext, dash: Dashboard, id: number) {
  const view = await loadRecurring(dash.callAs(c), id, c.req.query())
  const { recurring, runs, executions } = view
  return {
    ...view,
    tiles: deploymentTiles(recurring.totals),
    live: {
      url: `/recurring-deliveries/${id}/live${query(view.paging)}`,
      state: liveState(recurring, runs.items, executions.items),
      refreshMs: recurringRefreshMs(recurring, runs.items, Date.now()),
    },
  }
}

/** A recurring delivery: the actions and run confirmations the user's roles allow, its runs and executions. */
async function recurringPage(c: DashboardContext, dash: Dashboard, id: number) {
  const view = await recurringView(c, dash, id)
  const api = dash.features()
  const roles = c.get('user').roles
  const confirmRight = api.rightFor('post', '/api/recurring-deliveries/{id}/runs/{runId}/confirm')
  const confirmations = new Map(
    view.runs.items.flatMap((run) => {
      const confirmation = runConfirmation(run, roles, confirmRight)
      return confirmation ? [[run.id, confirmation] as const] : []
    }),
  )
  const actions = recurringActions(view.recurring, roles, (command) =>
    api.rightFor('post', `/api/recurring-deliveries/{id}/${command}`),
  )
  return c.html(
    <RecurringPage
      page={dash.pageContext(c, 'recurring')}
      recurring={view.recurring}
      actions={actions}
      confirmations={confirmations}
      tiles={view.tiles}
      runs={view.runs}
      executions={view.executions}
      live={view.live}
      query={view.paging}
    />,
  )
}
