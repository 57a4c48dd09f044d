import { exclusionLabels, exclusionReasons, type ExclusionReason } from '../../domain/exclusions'
import { sendingStatuses } from '../../domain/sending'
import { categoryRules, failureCategories } from '../../domain/failure-categories'
import type { DeliveryJson } from '../deployment'
import { DateTime, Pager, query } from './layout'

/** A delivery's logs (ACS monitoring tabs): sending logs, exclusion logs with causes, tracking logs. */

export type LogsView =
  | {
      tab: 'sending'
      items: Record<string, unknown>[]
      total: number
      page: number
      pageSize: number
      status: string
      /** The failure category filtered on ('' for all). */
      category?: string
    }
  | {
      tab: 'exclusions'
      items: Record<string, unknown>[]
      counts: Record<string, number>
      total: number
      page: number
      pageSize: number
      reason: string
    }
  | { tab: 'tracking'; items: Record<string, unknown>[]; total: number; page: number; pageSize: number }

export function Logs(props: { delivery: DeliveryJson; logs: LogsView; hasTrackingLogs: boolean }) {
  const { delivery: d, logs } = props
  const tabs: [LogsView['tab'], string][] = [
    ['sending', 'Sending logs'],
    ['exclusions', 'Exclusion logs'],
  ]
  if (props.hasTrackingLogs) tabs.push(['tracking', 'Tracking logs'])
  const href = (params: Record<string, string | number | undefined>) =>
    `/deliveries/${d.id}${query(params)}#logs`
  return (
    <section id="logs" aria-labelledby="logs-title">
      <h2 id="logs-title">Logs</h2>
      <nav class="tabs" aria-label="Logs">
        {tabs.map(([tab, label]) => (
          <a href={href({ tab })} aria-current={logs.tab === tab ? 'page' : undefined}>
            {label}
          </a>
        ))}
      </nav>
      {logs.tab === 'sending' && <SendingLogs logs={logs} href={href} />}
      {logs.tab === 'exclusions' && <ExclusionLogs logs={logs} href={href} />}
      {logs.tab === 'tracking' && <TrackingLogs logs={logs} href={href} />}
    </section>
  )
}

type Href = (params: Record<string, string | number | undefined>) => string
const text = (value: unknown) => (value === null || value === undefined || value === '' ? '—' : String(value))

function SendingLogs(props: { logs: Extract<LogsView, { tab: 'sending' }>; href: Href }) {
  const { logs } = props
  return (
    <>
      <form class="filters" method="get" action="#logs">
        <input type="hidden" name="tab" value="sending" />
        <div class="field">
          <label for="log-status">Sending status</label>
          <select id="log-status" name="status">
            <option value="">All</option>
            {sendingStatuses.map((s) => (
              <option value={s} selected={s === logs.status}>
                {s.replace('_', ' ')}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="log-category">Failure category</label>
          <select id="log-category" name="category">
            <option value="">All</option>
            {failureCategories.map((c) => (
              <option value={c} selected={c === logs.category}>
                {categoryRules[c].label}
              </option>
            ))}
          </select>
        </div>
        <button type="submit">Filter</button>
      </form>
      <table>
        <caption>{logs.total} sending logs</caption>
        <thead>
          <tr>
            <th scope="col">Email</th>
            <th scope="col">Status</th>
            <th scope="col">Failure</th>
            <th scope="col" class="num">
              SMTP
            </th>
            <th scope="col" class="num">
              Attempts
            </th>
            <th scope="col">Sent</th>
            <th scope="col">Message-ID</th>
          </tr>
        </thead>
        <tbody>
          {logs.items.map((l) => (
            <tr>
              <td>{text(l.email)}</td>
              <td>
                {text(l.status)}
                {l.inDoubt ? ' (in doubt)' : ''}
              </td>
              <td>
                {l.failureCategory || l.failureType
                  ? `${text(l.failureType ?? 'sent')} (${text(l.failureCategory ?? 'other')}): ${text(l.failureReason)}`
                  : '—'}
              </td>
              <td class="num">{text(l.smtpCode)}</td>
              <td class="num">{text(l.attempts)}</td>
              <td>
                <DateTime value={l.sentAt as string | null} />
                {l.plannedAt && !l.sentAt ? (
                  <>
                    {' '}
                    planned <DateTime value={l.plannedAt as string} />
                  </>
                ) : null}
              </td>
              <td class="mono">{text(l.messageId)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <Pager
        page={logs.page}
        pageSize={logs.pageSize}
        total={logs.total}
        href={(page) => props.href({ tab: 'sending', status: logs.status, category: logs.category, page })}
      />
    </>
  )
}

function ExclusionLogs(props: { logs: Extract<LogsView, { tab: 'exclusions' }>; href: Href }) {
  const { logs } = props
  return (
    <>
      <table class="counts">
        <caption>Exclusion causes</caption>
        <thead>
          <tr>
            <th scope="col">Reason</th>
            <th scope="col" class="num">
              Profiles
            </th>
          </tr>
        </thead>
        <tbody>
          {exclusionReasons.map((reason) => (
            <tr>
              <td>
                <a href={props.href({ tab: 'exclusions', reason })}>{exclusionLabels[reason]}</a>
              </td>
              <td class="num" data-exclusion-count={reason}>
                {logs.counts[reason] ?? 0}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <table>
        <caption>
          {logs.total} excluded {logs.reason ? `(${exclusionLabels[logs.reason as ExclusionReason]})` : ''}
        </caption>
        <thead>
          <tr>
            <th scope="col">Profile</th>
            <th scope="col">Email</th>
            <th scope="col">Reason</th>
          </tr>
        </thead>
        <tbody>
          {logs.items.map((l) => (
            <tr>
              <td>{text(l.profileId)}</td>
              <td>{text(l.email)}</td>
              <td>{exclusionLabels[l.reason as ExclusionReason] ?? text(l.reason)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <Pager
        page={logs.page}
        pageSize={logs.pageSize}
        total={logs.total}
        href={(page) => props.href({ tab: 'exclusions', reason: logs.reason, page })}
      />
    </>
  )
}

/** Tracking logs as the tracking API returns them: one column per field. */
function TrackingLogs(props: { logs: Extract<LogsView, { tab: 'tracking' }>; href: Href }) {
  const { logs } = props
  const columns = [...new Set(logs.items.flatMap((item) => Object.keys(item)))].filter((k) => k !== 'id')
  return (
    <>
      <table>
        <caption>{logs.total} tracking logs</caption>
        <thead>
          <tr>
            {columns.map((c) => (
              <th scope="col">{c}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {logs.items.map((l) => (
            <tr>
              {columns.map((c) => (
                <td>{typeof l[c] === 'object' && l[c] !== null ? JSON.stringify(l[c]) : text(l[c])}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      <Pager
        page={logs.page}
        pageSize={logs.pageSize}
        total={logs.total}
        href={(page) => props.href({ tab: 'tracking', page })}
      />
    </>
  )
}
