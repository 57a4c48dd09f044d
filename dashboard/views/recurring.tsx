import { logicalStatus, type DeliveryStatus } from '../../domain/delivery-states'
import {
  recurringLogicalStatus,
  recurringStatuses,
  recurringStatusLabels,
  runLogicalStatus,
  runStatuses,
  runStatusLabels,
  type RecurringCommand,
} from '../../domain/recurring-runs'
import { formatCount, formatPercent, percentOf, type Tile } from '../deployment'
import {
  aggregationLabels,
  describeRecurrence,
  type ExecutionJson,
  type RecurringJson,
  type RunJson,
} from '../recurring'
import { AskFirst, ConfirmCount } from './dialogs'
import { Csrf, DateTime, KpiTiles, Layout, Pager, StatusBadge, query, type PageContext } from './layout'

/** Recurring deliveries (ACS "recurring delivery"): the list, and one with its schedule, runs and executions. */

export interface RecurringListProps {
  page: PageContext
  items: RecurringJson[]
  total: number
  pageNo: number
  pageSize: number
  status: string
}

function RecurringBadge(props: { recurring: Pick<RecurringJson, 'status'> }) {
  const { status } = props.recurring
  return (
    <StatusBadge
      status={status}
      label={recurringStatusLabels[status]}
      logical={recurringLogicalStatus[status]}
    />
  )
}

/** The next run times, or why there are none. */
function NextRuns(props: { recurring: RecurringJson; count: number }) {
  const { recurring: r } = props
  if (r.status === 'stopped') return <span class="muted">None: stopped</span>
  if (r.schedule?.paused) return <span class="muted">None while paused</span>
  const next = r.schedule?.nextRuns.slice(0, props.count) ?? []
  if (next.length === 0) return <span class="muted">None</span>
  return (
    <ol class="next-runs">
      {next.map((at) => (
        <li>
          <DateTime value={at} seconds zone={r.recurrence.timeZone} />
        </li>
      ))}
    </ol>
  )
}

const runsInWords = (runs: Record<string, number>) =>
  runStatuses
    .filter((status) => runs[status])
    .map((status) => `${runs[status]} ${runStatusLabels[status].replace(/ \(.*\)$/, '').toLowerCase()}`)
    .join(', ') || 'none yet'

export function RecurringListPage(props: RecurringListProps) {
  const { items, status } = props
  return (
    <Layout title="Recurring deliveries" page={props.page}>
      <h1>Recurring deliveries</h1>
      <form
        class="filters"
        method="get"
        action="/recurring-deliveries"
        role="search"
        aria-label="Filter recurring deliveries"
      >
        <div class="field">
          <label for="status">Status</label>
          <select id="status" name="status">
            <option value="">All statuses</option>
            {recurringStatuses.map((s) => (
              <option value={s} selected={s === status}>
                {recurringStatusLabels[s]}
              </option>
            ))}
          </select>
        </div>
        <button type="submit">Filter</button>
      </form>
      {items.length === 0 ? (
        <p>No recurring delivery matches.</p>
      ) : (
        <table class="recurring">
          <caption>
            {props.total} {props.total === 1 ? 'recurring delivery' : 'recurring deliveries'}, newest first
          </caption>
          <thead>
            <tr>
              <th scope="col">Id</th>
              <th scope="col">Label</th>
              <th scope="col">Status</th>
              <th scope="col">Recurrence</th>
              <th scope="col">Next runs</th>
              <th scope="col" class="num">
                Executions
              </th>
              <th scope="col">Runs</th>
              <th scope="col" class="num">
                To deliver
              </th>
              <th scope="col" class="num">
                Sent
              </th>
              <th scope="col" class="num">
                Delivered
              </th>
            </tr>
          </thead>
          <tbody>
            {items.map((r) => (
              <tr>
                <td>{r.id}</td>
                <td>
                  <a href={`/recurring-deliveries/${r.id}`}>{r.label}</a>
                </td>
                <td>
                  <RecurringBadge recurring={r} />
                </td>
                <td>{describeRecurrence(r.recurrence)}</td>
                <td>
                  <NextRuns recurring={r} count={2} />
                </td>
                <td class="num">{r.totals.executions}</td>
                <td>{runsInWords(r.totals.runs)}</td>
                <td class="num">{formatCount(r.totals.progress.toDeliver)}</td>
                <td class="num">{formatCount(r.totals.kpis.processed)}</td>
                <td class="num">
                  {formatPercent(percentOf(r.totals.kpis.delivered, r.totals.kpis.processed))}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager
        page={props.pageNo}
        pageSize={props.pageSize}
        total={props.total}
        href={(p) => `/recurring-deliveries${query({ status, page: p })}`}
      />
    </Layout>
  )
}

export interface Paged<T> {
  items: T[]
  total: number
  page: number
  pageSize: number
}

export interface RecurringPageProps {
  page: PageContext
  recurring: RecurringJson
  actions: { action: RecurringCommand; label: string }[]
  /** For each run waiting for its confirmation: Confirm, or the message naming the missing role. */
  confirmations: Map<number, { refusal: string | null }>
  tiles: Tile[]
  runs: Paged<RunJson>
  executions: Paged<ExecutionJson>
  live: { url: string; state: string; refreshMs: number | null }
  query: Record<string, string>
}

export function RecurringPage(props: RecurringPageProps) {
  const { recurring: r } = props
  return (
    <Layout title={r.label} page={props.page}>
      <p class="breadcrumb">
        <a href="/recurring-deliveries">Recurring deliveries</a> / {r.id}
      </p>
      <div
        data-live={props.live.url}
        data-state={props.live.state}
        data-refresh-ms={props.live.refreshMs ?? undefined}
      >
        <div class="title-row">
          <h1>{r.label}</h1>
          <RecurringBadge recurring={r} />
        </div>
        <Summary recurring={r} />
        <Actions {...props} />
        <Schedule recurring={r} />
        <Runs {...props} />
        <Totals {...props} />
        <Executions {...props} />
      </div>
    </Layout>
  )
}

function Summary(props: { recurring: RecurringJson }) {
  const { recurring: r } = props
  return (
    <dl class="summary">
      <div>
        <dt>Subject</dt>
        <dd>{r.subject}</dd>
      </div>
      <div>
        <dt>Recurrence</dt>
        <dd data-field="recurrence">{describeRecurrence(r.recurrence)}</dd>
      </div>
      {(r.recurrence.startsAt || r.recurrence.endsAt) && (
        <div>
          <dt>Start and end</dt>
          <dd>
            {r.recurrence.startsAt && (
              <>
                from <DateTime value={r.recurrence.startsAt} zone={r.recurrence.timeZone} />{' '}
              </>
            )}
            {r.recurrence.endsAt && (
              <>
                until <DateTime value={r.recurrence.endsAt} zone={r.recurrence.timeZone} />
              </>
            )}
          </dd>
        </div>
      )}
      <div>
        <dt>Aggregation period</dt>
        <dd>{aggregationLabels[r.aggregation]}</dd>
      </div>
      <div>
        <dt>Confirmation before each send</dt>
        <dd>
          {r.confirmBeforeEachSend
            ? 'Yes: each run waits for a “Start deliveries” user to confirm it'
            : 'No: each run sends once prepared'}
        </dd>
      </div>
      <div>
        <dt>Created</dt>
        <dd>
          <DateTime value={r.createdAt} /> by {r.createdBy}
        </dd>
      </div>
    </dl>
  )
}

function Actions(props: RecurringPageProps) {
  const { recurring: r } = props
  const csrf = props.page.csrf ?? ''
  if (props.actions.length === 0) return null
  const post = (action: string) => `/recurring-deliveries/${r.id}/${action}`
  return (
    <section class="actions" aria-labelledby="actions-title">
      <h2 id="actions-title" class="visually-hidden">
        Actions
      </h2>
      {props.actions.map(({ action, label }) =>
        action === 'stop' ? (
          <AskFirst
            id="stop-dialog"
            label={label}
            action={post('stop')}
            csrf={csrf}
            question="Stop this recurring delivery? Its schedule is deleted and it never runs again; a run waiting for its confirmation expires, a run that is sending finishes."
            danger
          />
        ) : (
          <form method="post" action={post(action)}>
            <Csrf token={csrf} />
            <button type="submit">{label}</button>
          </form>
        ),
      )}
    </section>
  )
}

function Schedule(props: { recurring: RecurringJson }) {
  const { recurring: r } = props
  const state =
    r.status === 'stopped'
      ? 'Stopped: the schedule is deleted, no run will start.'
      : r.status === 'finished'
        ? 'Finished: the recurrence has ended.'
        : r.schedule?.paused
          ? 'Paused: no run starts until it is resumed.'
          : 'Running: a run starts at each occurrence.'
  return (
    <section aria-labelledby="schedule-title">
      <h2 id="schedule-title">Schedule</h2>
      <dl class="summary">
        <div>
          <dt>State</dt>
          <dd data-field="schedule-state">
            {state}
            {r.schedule?.note && <span class="muted"> ({r.schedule.note})</span>}
            {r.scheduleUnanswered && (
              <p class="flash flash-warning" role="status">
                {r.scheduleUnanswered}.
              </p>
            )}
          </dd>
        </div>
        <div>
          <dt>Next runs</dt>
          <dd>
            <NextRuns recurring={r} count={3} />
          </dd>
        </div>
        {r.schedule && (
          <div>
            <dt>Runs started by the schedule</dt>
            <dd>{r.schedule.runsStarted}</dd>
          </div>
        )}
        <div>
          <dt>Temporal schedule</dt>
          <dd>
            <a href={r.schedule?.temporalUrl ?? r.temporalUrl} target="_blank" rel="noopener noreferrer">
              Open the schedule {r.scheduleId} in the Temporal UI
            </a>
          </dd>
        </div>
      </dl>
    </section>
  )
}

/** ACS: the parent shows the totals of all its executions, as a Deployment block. */
function Totals(props: RecurringPageProps) {
  const { recurring: r } = props
  return (
    <section class="deployment" aria-labelledby="totals-title">
      <h2 id="totals-title">All executions</h2>
      <p>
        <span data-field="executions-count">
          {r.totals.executions} {r.totals.executions === 1 ? 'execution' : 'executions'}
        </span>
        ; runs: <span data-field="runs-count">{runsInWords(r.totals.runs)}</span>.
      </p>
      <KpiTiles tiles={props.tiles} />
    </section>
  )
}

const pageHref = (props: RecurringPageProps, name: string, page: number, anchor: string) =>
  `/recurring-deliveries/${props.recurring.id}${query({ ...props.query, [name]: page })}#${anchor}`

function Runs(props: RecurringPageProps) {
  const { recurring: r, runs } = props
  const csrf = props.page.csrf ?? ''
  const withConfirmation = runs.items.some((run) => props.confirmations.has(run.id))
  return (
    <section id="runs" aria-labelledby="runs-title">
      <h2 id="runs-title">Runs</h2>
      {runs.items.length === 0 ? (
        <p>No run yet.</p>
      ) : (
        <table class="runs">
          <caption>
            {runs.total} {runs.total === 1 ? 'run' : 'runs'}, newest first
          </caption>
          <thead>
            <tr>
              <th scope="col">Run</th>
              <th scope="col">Scheduled</th>
              <th scope="col">Status</th>
              <th scope="col" class="num">
                To deliver
              </th>
              <th scope="col" class="num">
                Excluded
              </th>
              <th scope="col" class="num">
                Sent
              </th>
              <th scope="col" class="num">
                Delivered
              </th>
              <th scope="col" class="num">
                Bounces + errors
              </th>
              <th scope="col">Execution</th>
              {withConfirmation && <th scope="col">Confirmation</th>}
            </tr>
          </thead>
          <tbody>
            {runs.items.map((run) => {
              const confirmation = props.confirmations.get(run.id)
              return (
                <tr data-run={run.id}>
                  <td>
                    <a href={run.temporalUrl} target="_blank" rel="noopener noreferrer">
                      {run.id}
                      <span class="visually-hidden"> (run {run.id} in the Temporal UI)</span>
                    </a>
                  </td>
                  <td>
                    <DateTime value={run.scheduledAt} seconds zone={r.recurrence.timeZone} />
                  </td>
                  <td>
                    <StatusBadge
                      status={run.status}
                      label={run.statusLabel}
                      logical={runLogicalStatus[run.status]}
                    />
                    {run.confirmedBy && (
                      <div class="muted">
                        confirmed by {run.confirmedBy} <DateTime value={run.confirmedAt} />
                      </div>
                    )}
                    {run.reason && <div class="muted">{run.reason}</div>}
                  </td>
                  <td class="num">{formatCount(run.messagesToDeliver)}</td>
                  <td class="num">{formatCount(run.excludedCount)}</td>
                  <td class="num" data-field={`run-${run.id}-sent`}>
                    {run.progress.processed}
                  </td>
                  <td class="num" data-field={`run-${run.id}-delivered`}>
                    {run.progress.delivered}
                  </td>
                  <td class="num" data-field={`run-${run.id}-failed`}>
                    {run.progress.failed}
                  </td>
                  <td class="nowrap">
                    {run.executionId ? (
                      <a href={`/deliveries/${run.executionId}`}>Execution {run.executionId}</a>
                    ) : (
                      <span class="muted">—</span>
                    )}
                  </td>
                  {withConfirmation && (
                    <td>
                      {confirmation &&
                        (confirmation.refusal ? (
                          <p class="refusal" data-refusal="confirm">
                            {confirmation.refusal}
                          </p>
                        ) : (
                          <ConfirmCount
                            id={`confirm-run-${run.id}`}
                            button="Confirm"
                            title={`Confirm the send of run ${run.id}`}
                            action={`/recurring-deliveries/${r.id}/runs/${run.id}/confirm`}
                            csrf={csrf}
                            count={run.messagesToDeliver}
                          >
                            of “{r.label}” (run {run.id}) will be sent now
                          </ConfirmCount>
                        ))}
                    </td>
                  )}
                </tr>
              )
            })}
          </tbody>
        </table>
      )}
      <Pager
        page={runs.page}
        pageSize={runs.pageSize}
        total={runs.total}
        href={(p) => pageHref(props, 'runsPage', p, 'runs')}
      />
    </section>
  )
}

function Executions(props: RecurringPageProps) {
  const { executions } = props
  return (
    <section id="executions" aria-labelledby="executions-title">
      <h2 id="executions-title">Executions</h2>
      {executions.items.length === 0 ? (
        <p>No execution yet.</p>
      ) : (
        <table class="executions">
          <caption>
            {executions.total} {executions.total === 1 ? 'execution' : 'executions'}, newest first; each is a
            delivery with its own logs
          </caption>
          <thead>
            <tr>
              <th scope="col">Execution</th>
              <th scope="col">Period</th>
              <th scope="col">Status</th>
              <th scope="col" class="num">
                Runs
              </th>
              <th scope="col" class="num">
                To deliver
              </th>
              <th scope="col" class="num">
                Sent
              </th>
              <th scope="col" class="num">
                Delivered
              </th>
              <th scope="col" class="num">
                Bounces + errors
              </th>
              <th scope="col" class="num">
                Opens
              </th>
              <th scope="col" class="num">
                Clicks
              </th>
            </tr>
          </thead>
          <tbody>
            {executions.items.map((e) => (
              <tr data-execution={e.id}>
                <td class="nowrap">
                  <a href={`/deliveries/${e.id}`}>Execution {e.id}</a>
                </td>
                <td>{e.periodKey || <span class="muted">one run</span>}</td>
                <td>
                  <StatusBadge
                    status={e.status}
                    label={e.statusLabel}
                    logical={logicalStatus[e.status as DeliveryStatus]}
                  />
                </td>
                <td class="num">{e.runs}</td>
                <td class="num">{formatCount(e.messagesToDeliver)}</td>
                <td class="num" data-field={`execution-${e.id}-sent`}>
                  {e.progress.processed}
                </td>
                <td class="num" data-field={`execution-${e.id}-delivered`}>
                  {e.progress.delivered}
                </td>
                <td class="num" data-field={`execution-${e.id}-failed`}>
                  {e.progress.failed}
                </td>
                <td class="num">{formatPercent(percentOf(e.kpis.opens, e.kpis.delivered))}</td>
                <td class="num">{formatPercent(percentOf(e.kpis.clicks, e.kpis.delivered))}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager
        page={executions.page}
        pageSize={executions.pageSize}
        total={executions.total}
        href={(p) => pageHref(props, 'executionsPage', p, 'executions')}
      />
    </section>
  )
}
