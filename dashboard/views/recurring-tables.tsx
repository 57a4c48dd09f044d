import { logicalStatus, type DeliveryStatus } from '../../domain/delivery-states'
import { runLogicalStatus } from '../../domain/recurring-runs'
import { formatCount, formatPercent, percentOf } from '../deployment'
import type { ExecutionJson, RunJson } from '../recurring'
import { ConfirmCount } from './dialogs'
import { ColumnHeads, DateTime, KpiTiles, Pager, StatusBadge, query } from './layout'
import { runsInWords, type RecurringPageProps } from './recurring'

/** A recurring delivery's tables: the totals of all its executions, its runs, and its executions. */

/** ACS: the parent shows the totals of all its executions, as a Deployment block. */
export function Totals(props: RecurringPageProps) {
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

/** Sent, delivered, bounces + errors: the figures the page refreshes while the row sends (`data-field`). */
function MovingFigures(props: { row: string; progress: RunJson['progress'] }) {
  const { row, progress } = props
  return (
    <>
      <td class="num" data-field={`${row}-sent`}>
        {progress.processed}
      </td>
      <td class="num" data-field={`${row}-delivered`}>
        {progress.delivered}
      </td>
      <td class="num" data-field={`${row}-failed`}>
        {progress.failed}
      </td>
    </>
  )
}

export function Runs(props: RecurringPageProps) {
  const { runs } = props
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
          <ColumnHeads
            columns={[
              'Run',
              'Scheduled',
              'Status',
              ['To deliver', 'num'],
              ['Excluded', 'num'],
              ['Sent', 'num'],
              ['Delivered', 'num'],
              ['Bounces + errors', 'num'],
              'Execution',
            ]}
          >
            {withConfirmation && <th scope="col">Confirmation</th>}
          </ColumnHeads>
          <tbody>
            {runs.items.map((run) => (
              <RunRow {...props} run={run} withConfirmation={withConfirmation} />
            ))}
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

function RunRow(props: RecurringPageProps & { run: RunJson; withConfirmation: boolean }) {
  const { run } = props
  return (
    <tr data-run={run.id}>
      <td>
        <a href={run.temporalUrl} target="_blank" rel="noopener noreferrer">
          {run.id}
          <span class="visually-hidden"> (run {run.id} in the Temporal UI)</span>
        </a>
      </td>
      <td>
        <DateTime value={run.scheduledAt} seconds zone={props.recurring.recurrence.timeZone} />
      </td>
      <td>
        <StatusBadge status={run.status} label={run.statusLabel} logical={runLogicalStatus[run.status]} />
        {run.confirmedBy && (
          <div class="muted">
            confirmed by {run.confirmedBy} <DateTime value={run.confirmedAt} />
          </div>
        )}
        {run.reason && <div class="muted">{run.reason}</div>}
        {run.nextWave && (
          <div class="muted" data-field={`run-${run.id}-next-wave`}>
            next wave: <DateTime value={run.nextWave.at} zone={run.nextWave.zones[0] ?? 'UTC'} seconds /> (
            {run.nextWave.recipients === 1 ? '1 recipient' : `${run.nextWave.recipients} recipients`})
          </div>
        )}
      </td>
      <td class="num">{formatCount(run.messagesToDeliver)}</td>
      <td class="num">{formatCount(run.excludedCount)}</td>
      <MovingFigures row={`run-${run.id}`} progress={run.progress} />
      <td class="nowrap">
        {run.executionId ? (
          <a href={`/deliveries/${run.executionId}`}>Execution {run.executionId}</a>
        ) : (
          <span class="muted">—</span>
        )}
      </td>
      {props.withConfirmation && (
        <td>
          <RunConfirmation {...props} />
        </td>
      )}
    </tr>
  )
}

/** Confirm (→ OK dialog with the count) for a run waiting for it, or the message naming the missing role. */
function RunConfirmation(props: RecurringPageProps & { run: RunJson }) {
  const { recurring: r, run } = props
  const confirmation = props.confirmations.get(run.id)
  if (!confirmation) return null
  if (confirmation.refusal)
    return (
      <p class="refusal" data-refusal="confirm">
        {confirmation.refusal}
      </p>
    )
  return (
    <ConfirmCount
      id={`confirm-run-${run.id}`}
      button="Confirm"
      title={`Confirm the send of run ${run.id}`}
      action={`/recurring-deliveries/${r.id}/runs/${run.id}/confirm`}
      csrf={props.page.csrf ?? ''}
      count={run.messagesToDeliver}
    >
      of “{r.label}” (run {run.id}) will be sent now
    </ConfirmCount>
  )
}

export function Executions(props: RecurringPageProps) {
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
          <ColumnHeads
            columns={[
              'Execution',
              'Period',
              'Status',
              ['Runs', 'num'],
              ['To deliver', 'num'],
              ['Sent', 'num'],
              ['Delivered', 'num'],
              ['Bounces + errors', 'num'],
              ['Opens', 'num'],
              ['Clicks', 'num'],
            ]}
          />
          <tbody>
            {executions.items.map((execution) => (
              <ExecutionRow execution={execution} />
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

function ExecutionRow(props: { execution: ExecutionJson }) {
  const { execution: e } = props
  return (
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
      <MovingFigures row={`execution-${e.id}`} progress={e.progress} />
      <td class="num">{formatPercent(percentOf(e.kpis.opens, e.kpis.delivered))}</td>
      <td class="num">{formatPercent(percentOf(e.kpis.clicks, e.kpis.delivered))}</td>
    </tr>
  )
}
