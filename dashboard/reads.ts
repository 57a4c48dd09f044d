import { HTTPException } from 'hono/http-exception'
import { parseWholeNumber, type WholeNumberRange } from '../domain/whole-number'
import { exclusionReasons, type ExclusionReason } from '../domain/exclusions'
import { sendingStatuses, type SendingStatus } from '../domain/sending'
import { failureCategories, type FailureCategory } from '../domain/failure-categories'
import { bodyOf, type ApiCall } from './api-client'
import type { LogsView } from './views/logs'
import type { TrackingPoint } from './views/chart'
import type { AlertJson } from './views/alerts'
import { query } from './views/layout'
import type { ExecutionJson, RecurringJson, RunJson } from './recurring'

/** What the pages read from the API besides the delivery, and the query parameters they take. */

const logPageSize = 50

/** A number the URL names (an id, a page), by the API's own rule (domain/whole-number), or 400 naming it. */
export function urlNumber(name: string, value: string, range?: WholeNumberRange): number {
  const parsed = parseWholeNumber(value, range)
  if (!parsed.ok) throw new HTTPException(400, { message: `${name}: ${parsed.message}` })
  return parsed.value
}

/** An optional number in the query: absent or blank (a form's empty field) is undefined. */
export function queryNumber(name: string, value: string | undefined): number | undefined {
  return value === undefined || value === '' ? undefined : urlNumber(name, value)
}

export function oneOf<T extends string>(value: string | undefined, allowed: readonly T[]): T | null {
  return allowed.includes(value as T) ? (value as T) : null
}

/** One page of the logs tab the page shows (sending logs unless asked otherwise). */
export async function loadLogs(
  call: ApiCall,
  id: number,
  params: Record<string, string>,
  hasTrackingLogs: boolean,
): Promise<LogsView> {
  const page = queryNumber('page', params.page) ?? 1
  const paging = { page, pageSize: logPageSize }
  if (params.tab === 'exclusions') {
    const reason = oneOf<ExclusionReason>(params.reason, exclusionReasons) ?? ''
    const reply = bodyOf(
      await call<{ items: Record<string, unknown>[]; counts: Record<string, number>; total: number }>(
        'GET',
        `/api/deliveries/${id}/exclusion-logs${query({ ...paging, reason })}`,
      ),
    )
    return { tab: 'exclusions', ...reply, ...paging, reason }
  }
  if (params.tab === 'tracking' && hasTrackingLogs) {
    const reply = bodyOf(
      await call<{ items: Record<string, unknown>[]; total: number }>(
        'GET',
        `/api/deliveries/${id}/tracking-logs${query(paging)}`,
      ),
    )
    return { tab: 'tracking', items: reply.items, total: reply.total, ...paging }
  }
  const status = oneOf<SendingStatus>(params.status, sendingStatuses) ?? ''
  const category = oneOf<FailureCategory>(params.category, failureCategories) ?? ''
  const reply = bodyOf(
    await call<{ items: Record<string, unknown>[]; total: number }>(
      'GET',
      `/api/deliveries/${id}/sending-logs${query({ ...paging, status, category })}`,
    ),
  )
  return { tab: 'sending', items: reply.items, total: reply.total, ...paging, status, category }
}

/** The opens and clicks series, or null (chart hidden) when the API does not answer one. */
export async function loadSeries(call: ApiCall, id: number): Promise<TrackingPoint[] | null> {
  const reply = await call<{ points?: TrackingPoint[] }>('GET', `/api/deliveries/${id}/tracking-series`)
  return reply.ok && Array.isArray(reply.body?.points) ? reply.body.points : null
}

/** The delivery's alerts (a delivery raises each criterion once: one page holds them all). */
export async function loadAlerts(call: ApiCall, id: number): Promise<AlertJson[]> {
  const reply = await call<{ items: AlertJson[] }>(
    'GET',
    `/api/alerts${query({ deliveryId: id, pageSize: 50 })}`,
  )
  return reply.ok ? reply.body.items : []
}

const recurringPageSize = 20

/** A recurring delivery with one page of its runs and one of its executions (`runsPage`, `executionsPage`). */
export async function loadRecurring(call: ApiCall, id: number, params: Record<string, string>) {
  const runsPage = queryNumber('runsPage', params.runsPage) ?? 1
  const executionsPage = queryNumber('executionsPage', params.executionsPage) ?? 1
  const base = `/api/recurring-deliveries/${id}`
  type Page<T> = { items: T[]; total: number }
  const [recurring, runs, executions] = await Promise.all([
    call<RecurringJson>('GET', base),
    call<Page<RunJson>>('GET', `${base}/runs${query({ page: runsPage, pageSize: recurringPageSize })}`),
    call<Page<ExecutionJson>>(
      'GET',
      `${base}/executions${query({ page: executionsPage, pageSize: recurringPageSize })}`,
    ),
  ])
  return {
    recurring: bodyOf(recurring),
    runs: { ...bodyOf(runs), page: runsPage, pageSize: recurringPageSize },
    executions: { ...bodyOf(executions), page: executionsPage, pageSize: recurringPageSize },
    /** The paging to keep in links and in the live figures' URL. */
    paging: {
      runsPage: runsPage > 1 ? String(runsPage) : '',
      executionsPage: executionsPage > 1 ? String(executionsPage) : '',
    },
  }
}
