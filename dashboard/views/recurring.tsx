import {
  recurringLogicalStatus,
  recurringStatuses,
  recurringStatusLabels,
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
import { AskFirst } from './dialogs'
import { Executions, Runs, Totals } from './recurring-tables'
import { ColumnHeads, Csrf, DateTime, Layout, Pager, StatusBadge, query, type PageContext } from './layout'

/** Recurring deliveries (ACS "recurring delivery"): the list, and one with its schedule, runs and executions. */

export interface RecurringListProps {
  page: PageContext
  items: RecurringJson[]
  total: number
  pageNo: number
  pageSize: number
  status: string
}

export function RecurringBadge(props: { recurring: Pick<RecurringJson, 'status'> }) {
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

export const runsInWords = (runs: Record<string, number>) =>
  runStatuses
    .filter((status) => runs[status])
    .map((status) => `${runs[status]} ${runStatusLabels[status].replace(/ \(.*\)$/, '').toLowerCase()}`)
    .join(', ') || 'none yet'

function RecurringRow(props: { recurring: RecurringJson }) {
  const { recurring: r } = props
  return (
    <tr>
      <td>{r.id}</td>
      <td>
        <a href={`/recurring-deliveries/${r.id}`}>{r.label}</a>
      </td>
      <td>
        <RecurringBadge recurring={r} />
      </td>
      <td>{describeRecurrence(r.recurrence, r.recipientTimeZone)}</td>
      <td>
        <NextRuns recurring={r} count={2} />
      </td>
      <td class="num">{r.totals.executions}</td>
      <td>{runsInWords(r.totals.runs)}</td>
      <td class="num">{formatCount(r.totals.progress.toDeliver)}</td>
      <td class="num">{formatCount(r.totals.kpis.processed)}</td>
      <td class="num">{formatPercent(percentOf(r.totals.kpis.delivered, r.totals.kpis.processed))}</td>
    </tr>
  )
}

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
          <ColumnHeads
            columns={[
              'Id',
              'Label',
              'Status',
              'Recurrence',
              'Next runs',
              ['Executions', 'num'],
              'Runs',
              ['To deliver', 'num'],
              ['Sent', 'num'],
              ['Delivered', 'num'],
            ]}
          />
          <tbody>
            {items.map((r) => (
              <RecurringRow recurring={r} />
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
        <dd data-field="recurrence">{describeRecurrence(r.recurrence, r.recipientTimeZone)}</dd>
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
