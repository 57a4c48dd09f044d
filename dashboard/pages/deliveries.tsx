import { HTTPException } from 'hono/http-exception'
import { deliveryStatuses } from '../../domain/delivery-states'
import { bodyOf } from '../api-client'
import { actionBody, doneMessages } from '../actions'
import { pageSize, readForm, type Dashboard, type DashboardApp, type DashboardContext } from '../context'
import {
  availableActions,
  deliveryActions,
  deploymentTiles,
  refreshIntervalMs,
  type DeliveryJson,
} from '../deployment'
import { loadAlerts, loadLogs, loadSeries, oneOf, queryNumber, urlNumber } from '../reads'
import { loadProofs, proofBody } from '../proofs'
import { query } from '../views/layout'
import { DeliveryListPage } from '../views/deliveries'
import { DeliveryPage } from '../views/delivery'

const timeZones = Intl.supportedValuesOf('timeZone')

const deliveryId = (c: DashboardContext) => urlNumber('id', c.req.param('id') ?? '')

/** The deliveries: the list (`/`), a delivery's page, its live figures, and its actions. */
export function deliveryPages(app: DashboardApp, dash: Dashboard): void {
  app.get('/', async (c) => {
    const pageNo = queryNumber('page', c.req.query('page')) ?? 1
    const status = oneOf(c.req.query('status'), deliveryStatuses) ?? ''
    const search = (c.req.query('search') ?? '').slice(0, 255)
    const reply = bodyOf(
      await dash.callAs(c)<{ items: DeliveryJson[]; total: number }>(
        'GET',
        `/api/deliveries${query({ page: pageNo, pageSize, status, search })}`,
      ),
    )
    return c.html(
      <DeliveryListPage
        page={dash.pageContext(c, 'deliveries')}
        items={reply.items}
        total={reply.total}
        pageNo={pageNo}
        pageSize={pageSize}
        status={status}
        search={search}
      />,
    )
  })

  app.get('/deliveries/:id', (c) => deliveryPage(c, dash))

  /** The Deployment block's figures, polled by the page while the delivery moves. */
  app.get('/deliveries/:id/live', async (c) => {
    const d = bodyOf(await dash.callAs(c)<DeliveryJson>('GET', `/api/deliveries/${deliveryId(c)}`))
    return c.json({
      state: d.status,
      status: d.status,
      statusLabel: d.statusLabel,
      logicalStatus: d.logicalStatus,
      progress: d.progress,
      tiles: deploymentTiles(d),
      refreshMs: refreshIntervalMs(d.status),
    })
  })

  // Before `/deliveries/:id/:action`, which would take "proofs" for an action it does not know.
  app.post('/deliveries/:id/proofs', async (c) => {
    const id = deliveryId(c)
    const reply = await dash.callAs(c)<{ proofNo: number; messages: unknown[] }>(
      'POST',
      `/api/deliveries/${id}/proofs`,
      proofBody(await readForm(c)),
    )
    const done = reply.ok ? `Proof ${reply.body.proofNo} sent (${reply.body.messages.length} messages).` : ''
    dash.flashReply(c, reply, done)
    return c.redirect(`/deliveries/${id}`, 303)
  })

  app.post('/deliveries/:id/:action', async (c) => {
    const id = deliveryId(c)
    const action = oneOf(c.req.param('action'), deliveryActions)
    if (!action) throw new HTTPException(404, { message: 'There is no such action.' })
    const form = await readForm(c)
    const reply = await dash.callAs(c)('POST', `/api/deliveries/${id}/${action}`, actionBody(action, form))
    dash.flashReply(c, reply, doneMessages[action])
    return c.redirect(`/deliveries/${id}`, 303)
  })
}

/** A delivery: its summary, the actions the user may take, the Deployment block, its logs and chart. */
async function deliveryPage(c: DashboardContext, dash: Dashboard) {
  const id = deliveryId(c)
  const call = dash.callAs(c)
  const api = dash.features()
  const delivery = bodyOf(await call<DeliveryJson>('GET', `/api/deliveries/${id}`))
  const actions = availableActions(delivery, c.get('user').roles, (action) =>
    api.rightFor('post', `/api/deliveries/{id}/${action}`),
  )
  const [logs, series, proofs, alerts] = await Promise.all([
    loadLogs(call, id, c.req.query(), api.has('trackingLogs')),
    api.has('trackingSeries') && delivery.sendingStartedAt ? loadSeries(call, id) : null,
    loadProofs(call, delivery, c.get('user').roles, api.rightFor('post', '/api/deliveries/{id}/proofs')),
    api.has('alerts') ? loadAlerts(call, id) : [],
  ])
  return c.html(
    <DeliveryPage
      page={dash.pageContext(c, delivery.recurringId ? 'recurring' : 'deliveries')}
      delivery={delivery}
      actions={actions}
      tiles={deploymentTiles(delivery)}
      refreshMs={refreshIntervalMs(delivery.status)}
      logs={logs}
      hasTrackingLogs={api.has('trackingLogs')}
      series={series}
      proofs={proofs}
      alerts={alerts}
      timeZones={timeZones}
    />,
  )
}
