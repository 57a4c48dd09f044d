import { DateTime as Luxon } from 'luxon'
import type { ActionView, DeliveryJson, Tile } from '../deployment'
import { TrackingChart, type TrackingPoint } from './chart'
import { Csrf, DateTime, KpiTiles, Layout, StatusBadge, type PageContext } from './layout'
import { Logs, type LogsView } from './logs'
import { AskFirst, ConfirmCount } from './dialogs'
import { Proofs, type ProofsView } from './proofs'
import { Alerts, type AlertJson } from './alerts'

export interface DeliveryPageProps {
  page: PageContext
  delivery: DeliveryJson
  actions: ActionView[]
  tiles: Tile[]
  refreshMs: number | null
  logs: LogsView
  hasTrackingLogs: boolean
  /** Opens and clicks over time, when the API offers the series. */
  series: TrackingPoint[] | null
  /** Send proof and the proofs sent; null when this API has no proofs. */
  proofs?: ProofsView | null
  /** The delivery's alerts, newest first (none when this API has no alerts). */
  alerts?: AlertJson[]
  timeZones: string[]
}

export function DeliveryPage(props: DeliveryPageProps) {
  const { delivery: d } = props
  return (
    <Layout title={d.label} page={props.page}>
      <p class="breadcrumb">
        {d.recurringId ? (
          <>
            <a href="/recurring-deliveries">Recurring deliveries</a> /{' '}
            <a href={`/recurring-deliveries/${d.recurringId}`}>{d.recurringId}</a> / execution {d.id}
          </>
        ) : (
          <>
            <a href="/">Deliveries</a> / {d.id}
          </>
        )}
      </p>
      <div class="title-row">
        <h1>{d.label}</h1>
        <span aria-live="polite" data-field="status">
          <StatusBadge status={d.status} label={d.statusLabel} logical={d.logicalStatus} />
        </span>
      </div>
      <Summary delivery={d} />
      {d.recurringId ? <SentByRuns delivery={d} /> : <Actions {...props} />}
      {props.proofs && <Proofs delivery={d} proofs={props.proofs} csrf={props.page.csrf ?? ''} />}
      <Alerts alerts={props.alerts ?? []} />
      <Deployment {...props} />
      {d.waves && d.waves.length > 0 && <Waves delivery={d} />}
      <PreparationReport delivery={d} />
      {props.series && (
        <section aria-labelledby="chart-title-h">
          <h2 id="chart-title-h">Opens and clicks</h2>
          <TrackingChart points={props.series} />
        </section>
      )}
      <Logs delivery={d} logs={props.logs} hasTrackingLogs={props.hasTrackingLogs} />
    </Layout>
  )
}

function Summary(props: { delivery: DeliveryJson }) {
  const d = props.delivery
  return (
    <dl class="summary">
      <div>
        <dt>Subject</dt>
        <dd>{d.subject}</dd>
      </div>
      <div>
        <dt>Created</dt>
        <dd>
          <DateTime value={d.createdAt} /> by {d.createdBy}
        </dd>
      </div>
      <div>
        <dt>Contact date</dt>
        <dd>
          {d.contactDate && d.recipientTimeZone ? (
            <>
              {Luxon.fromISO(d.contactDate, { zone: d.timeZone ?? 'UTC' }).toFormat('yyyy-LL-dd HH:mm')} in
              each recipient’s time zone ({d.timeZone ?? 'UTC'} for profiles without one)
            </>
          ) : d.contactDate ? (
            <>
              <DateTime value={d.contactDate} zone={d.timeZone ?? 'UTC'} />
            </>
          ) : (
            'Send once confirmed'
          )}
        </dd>
      </div>
      {d.approvedBy && (
        <div>
          <dt>Approved</dt>
          <dd>
            <DateTime value={d.approvedAt} /> by {d.approvedBy}
          </dd>
        </div>
      )}
      {d.confirmedBy && (
        <div>
          <dt>Confirmed</dt>
          <dd>
            <DateTime value={d.confirmedAt} /> by {d.confirmedBy}
          </dd>
        </div>
      )}
      {d.rejectionReason && (
        <div>
          <dt>Rejected</dt>
          <dd>{d.rejectionReason}</dd>
        </div>
      )}
      {d.sendError && (
        <div>
          <dt>Error</dt>
          <dd>{d.sendError}</dd>
        </div>
      )}
      <div>
        <dt>Workflow</dt>
        <dd>
          <a href={d.temporalUrl} target="_blank" rel="noopener noreferrer">
            {d.recurringId
              ? `Open the runs of execution ${d.id} in the Temporal UI`
              : `Open ${d.workflowId} in the Temporal UI`}
          </a>
        </dd>
      </div>
    </dl>
  )
}

/** A delivery sent at each recipient's local time: each wave's instant (in its zone), recipients, sent. */
function Waves(props: { delivery: DeliveryJson }) {
  const d = props.delivery
  const waves = d.waves ?? []
  const next = d.nextWave
  return (
    <section aria-labelledby="waves-title" data-section="waves">
      <h2 id="waves-title">Waves</h2>
      <p data-field="next-wave">
        {next ? (
          <>
            Next wave: <DateTime value={next.at} zone={next.zones[0] ?? 'UTC'} seconds /> (
            {next.recipients === 1 ? '1 recipient' : `${next.recipients} recipients`}, {next.sent} sent)
          </>
        ) : (
          'No wave left to send.'
        )}
      </p>
      <table>
        <thead>
          <tr>
            <th scope="col">Wave</th>
            <th scope="col">Instant</th>
            <th scope="col">Time zones</th>
            <th scope="col" class="num">
              Recipients
            </th>
            <th scope="col" class="num">
              Sent
            </th>
            <th scope="col" class="num">
              Failed
            </th>
          </tr>
        </thead>
        <tbody>
          {waves.map((w, i) => (
            <tr data-wave={i + 1} class={next && w.at === next.at ? 'current' : undefined}>
              <td class="num">{i + 1}</td>
              <td>
                <DateTime value={w.at} zone={w.zones[0] ?? 'UTC'} seconds />
              </td>
              <td>{w.zones.join(', ')}</td>
              <td class="num">{w.recipients}</td>
              <td class="num">{w.sent}</td>
              <td class="num">{w.failed}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  )
}

/** An execution has no actions of its own: the runs of its recurring delivery prepare and send it. */
function SentByRuns(props: { delivery: DeliveryJson }) {
  const d = props.delivery
  return (
    <p class="actions" data-execution-of={d.recurringId}>
      <span>
        This is an execution of{' '}
        <a href={`/recurring-deliveries/${d.recurringId}`}>recurring delivery {d.recurringId}</a>
        {d.periodKey ? ` for ${d.periodKey}` : ''}: its runs prepare and send it. Confirm a run, pause or stop
        the recurrence there.
      </span>
    </p>
  )
}

function Actions(props: DeliveryPageProps) {
  const { delivery: d } = props
  // Compute stats lives in the Deployment block, as in ACS.
  const actions = props.actions.filter((a) => a.action !== 'compute-stats')
  const csrf = props.page.csrf ?? ''
  if (actions.length === 0) return null
  const post = (action: string) => `/deliveries/${d.id}/${action}`
  return (
    <section class="actions" aria-labelledby="actions-title">
      <h2 id="actions-title" class="visually-hidden">
        Actions
      </h2>
      {actions.map(({ action, label, refusal }) => {
        if (refusal) {
          return (
            <p class="refusal" data-refusal={action}>
              {refusal}
            </p>
          )
        }
        switch (action) {
          case 'confirm':
            return <ConfirmSend delivery={d} csrf={csrf} />
          case 'stop':
            return (
              <AskFirst
                id="stop-dialog"
                label={label}
                action={post('stop')}
                csrf={csrf}
                question="Stop this delivery? The messages not sent yet stay unsent; a stopped delivery cannot restart."
                danger
              />
            )
          case 'reject':
            return (
              <details class="inline-form">
                <summary>Reject…</summary>
                <form method="post" action={post('reject')}>
                  <Csrf token={csrf} />
                  <label for="reason">Reason for the rejection</label>
                  <textarea id="reason" name="reason" required maxlength={1000} rows={2}></textarea>
                  <button type="submit">Reject</button>
                </form>
              </details>
            )
          case 'schedule':
            return <Reschedule delivery={d} csrf={csrf} timeZones={props.timeZones} />
          default:
            return (
              <form method="post" action={post(action)}>
                <Csrf token={csrf} />
                <button type="submit" class={isNextStep(action, d) ? 'primary' : undefined}>
                  {label}
                </button>
              </form>
            )
        }
      })}
    </section>
  )
}

/** The action that moves the delivery on stands out; preparing a prepared delivery again does not. */
function isNextStep(action: string, d: DeliveryJson): boolean {
  return action === 'approve' || (action === 'prepare' && ['draft', 'preparation_failed'].includes(d.status))
}

/** ACS: Confirm send, then an OK dialog that states the number of messages; OK sends that count. */
function ConfirmSend(props: { delivery: DeliveryJson; csrf: string }) {
  const d = props.delivery
  const later = d.contactDate && Date.parse(d.contactDate) > Date.now()
  return (
    <ConfirmCount
      id="confirm-dialog"
      button="Confirm send"
      title="Confirm send"
      action={`/deliveries/${d.id}/confirm`}
      csrf={props.csrf}
      count={d.messagesToDeliver}
    >
      of “{d.label}” will be sent
      {later ? (
        <>
          {' '}
          from <DateTime value={d.contactDate} zone={d.timeZone ?? 'UTC'} />
        </>
      ) : (
        ' now'
      )}
    </ConfirmCount>
  )
}

function Reschedule(props: { delivery: DeliveryJson; csrf: string; timeZones: string[] }) {
  const d = props.delivery
  const zone = d.timeZone ?? 'UTC'
  const local = d.contactDate ? Luxon.fromISO(d.contactDate, { zone }).toFormat("yyyy-MM-dd'T'HH:mm") : ''
  const beforeConfirm = d.status !== 'start_pending'
  return (
    <details class="inline-form">
      <summary>Reschedule…</summary>
      <form method="post" action={`/deliveries/${d.id}/schedule`}>
        <Csrf token={props.csrf} />
        <label for="contactDate">Contact date (empty: send once confirmed)</label>
        <input id="contactDate" name="contactDate" type="datetime-local" value={local} />
        <label for="timeZone">Time zone</label>
        <input id="timeZone" name="timeZone" list="time-zones" value={zone} maxlength={64} />
        <datalist id="time-zones">
          {props.timeZones.map((z) => (
            <option value={z} />
          ))}
        </datalist>
        {beforeConfirm && (
          <p class="hint">Before the send is confirmed, a new schedule needs a new preparation.</p>
        )}
        <button type="submit">Save schedule</button>
      </form>
    </details>
  )
}

/** ACS Deployment block: progress, then the KPIs. The page's script refreshes it while it moves. */
function Deployment(props: DeliveryPageProps) {
  const { delivery: d, tiles } = props
  const canComputeStats = props.actions.some((a) => a.action === 'compute-stats' && !a.refusal)
  return (
    <section
      class="deployment"
      aria-labelledby="deployment-title"
      data-live={`/deliveries/${d.id}/live`}
      data-state={d.status}
      data-refresh-ms={props.refreshMs ?? undefined}
    >
      <h2 id="deployment-title">Deployment</h2>
      <div class="progress-row">
        <label for="deployment-progress">Progress</label>
        <progress id="deployment-progress" max={100} value={d.progress.percent}>
          {d.progress.percent} %
        </progress>
        <span data-field="progress-text">
          {d.progress.processed} of {d.progress.toDeliver} processed ({d.progress.percent} %)
        </span>
      </div>
      <KpiTiles tiles={tiles} />
      {canComputeStats && (
        <form method="post" action={`/deliveries/${d.id}/compute-stats`}>
          <Csrf token={props.page.csrf ?? ''} />
          <button type="submit">Compute stats</button>
        </form>
      )}
    </section>
  )
}

function PreparationReport(props: { delivery: DeliveryJson }) {
  const messages = props.delivery.preparationReport?.messages ?? []
  if (messages.length === 0) return null
  return (
    <section aria-labelledby="preparation-title">
      <h2 id="preparation-title">Preparation</h2>
      <ul class="preparation">
        {messages.map((m) => (
          <li class={`severity-${m.severity}`}>
            <strong>{m.severity === 'critical' ? 'Critical' : 'Warning'}:</strong> {m.message}
          </li>
        ))}
      </ul>
    </section>
  )
}
