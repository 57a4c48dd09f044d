import type { Child } from 'hono/jsx'
import { inZone } from '../../domain/zoned-time'
import { raw } from 'hono/html'
import type { AuthUser } from '../../domain/auth-user'
import { hasRight, roleLabels } from '../../domain/roles'
import type { LogicalStatus } from '../../domain/delivery-states'
import type { Flash } from '../session'
import type { Tile } from '../deployment'

export interface PageContext {
  user: AuthUser | null
  csrf: string | null
  flash: Flash | null
  /** The embedded SMTP sink's mailbox exists. */
  mailbox: boolean
  /** The API has recurring deliveries. */
  recurring: boolean
  /** Which main section is current, for `aria-current`. */
  section?: 'deliveries' | 'recurring' | 'mailbox' | 'imports'
}

export function Layout(props: { title: string; page: PageContext; children?: Child }) {
  const { user, csrf, flash, mailbox, recurring, section } = props.page
  const current = (name: PageContext['section']) => (section === name ? 'page' : undefined)
  return (
    <>
      {raw('<!doctype html>')}
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <title>{`${props.title} · Herald`}</title>
          <link rel="stylesheet" href="/assets/dashboard.css" />
          <script src="/assets/dashboard.js" defer></script>
        </head>
        <body>
          <a class="skip-link" href="#main">
            Skip to content
          </a>
          <header class="top-bar">
            <a class="brand" href="/">
              Herald
            </a>
            {user && (
              <nav aria-label="Main">
                <a href="/" aria-current={current('deliveries')}>
                  Deliveries
                </a>
                {recurring && (
                  <a href="/recurring-deliveries" aria-current={current('recurring')}>
                    Recurring deliveries
                  </a>
                )}
                {mailbox && (
                  <a href="/mailbox" aria-current={current('mailbox')}>
                    Mailbox
                  </a>
                )}
                {hasRight(user.roles, 'editDeliveries') && (
                  <a href="/imports" aria-current={current('imports')}>
                    Import profiles
                  </a>
                )}
                <a href="/api/docs">API docs</a>
              </nav>
            )}
            {user && csrf && (
              <form class="who" method="post" action="/logout">
                <span>
                  {user.name} <span class="muted">({user.roles.map((r) => roleLabels[r]).join(', ')})</span>
                </span>
                <input type="hidden" name="_csrf" value={csrf} />
                <button type="submit" class="link-button">
                  Log out
                </button>
              </form>
            )}
          </header>
          <main id="main" tabindex={-1}>
            {flash && (
              <p class={`flash flash-${flash.kind}`} role={flash.kind === 'error' ? 'alert' : 'status'}>
                {flash.text}
              </p>
            )}
            {props.children}
          </main>
        </body>
      </html>
    </>
  )
}

/** ACS logical status as a colour, always with its label (colour is never the only cue). */
export function StatusBadge(props: { status: string; label: string; logical: LogicalStatus }) {
  return (
    <span
      class={`status status-${props.logical}`}
      data-status={props.status}
      data-logical-status={props.logical}
    >
      {props.label}
    </span>
  )
}

/** The KPI tiles of a Deployment block, each value labelled by its tile's name. */
export function KpiTiles(props: { tiles: Tile[] }) {
  return (
    <ul class="tiles">
      {props.tiles.map((t) => (
        <li class="tile">
          <span class="tile-label" id={`tile-${t.key}`}>
            {t.label}
          </span>
          <span class="tile-value" data-tile={t.key} aria-labelledby={`tile-${t.key}`}>
            {t.value}
          </span>
        </li>
      ))}
    </ul>
  )
}

/**
 * A date, naming its zone. Without `zone` it is shown in UTC and the page's script shows it in the
 * reader's zone (named); with `zone` (a recurrence's, a delivery's own) it stays in that zone and the
 * script puts the reader's time beside it where the two differ.
 */
export function DateTime(props: {
  value: string | null | undefined
  seconds?: boolean
  zone?: string | null
}) {
  if (!props.value) return <span class="muted">—</span>
  return (
    <time
      datetime={props.value}
      data-seconds={props.seconds ? '' : undefined}
      data-zone={props.zone ?? undefined}
    >
      {inZone(props.value, props.zone ?? 'UTC', { seconds: props.seconds })}
    </time>
  )
}

export function Csrf(props: { token: string }) {
  return <input type="hidden" name="_csrf" value={props.token} />
}

/** Previous / next links keeping the other query parameters. */
/** A table's column headings; a heading marked `num` is right-aligned, as the figures under it. */
export function ColumnHeads(props: { columns: (string | [string, 'num'])[]; children?: Child }) {
  return (
    <thead>
      <tr>
        {props.columns.map((column) =>
          typeof column === 'string' ? (
            <th scope="col">{column}</th>
          ) : (
            <th scope="col" class="num">
              {column[0]}
            </th>
          ),
        )}
        {props.children}
      </tr>
    </thead>
  )
}

export function Pager(props: {
  page: number
  pageSize: number
  total: number
  href: (page: number) => string
}) {
  const pages = Math.max(1, Math.ceil(props.total / props.pageSize))
  if (pages <= 1) return null
  return (
    <nav class="pager" aria-label="Pages">
      {props.page > 1 ? (
        <a href={props.href(props.page - 1)}>Previous</a>
      ) : (
        <span class="muted">Previous</span>
      )}
      <span>
        Page {props.page} of {pages}
      </span>
      {props.page < pages ? <a href={props.href(props.page + 1)}>Next</a> : <span class="muted">Next</span>}
    </nav>
  )
}

/** A query string from the parameters that have a value. */
export function query(params: Record<string, string | number | undefined | null>): string {
  const search = new URLSearchParams()
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') search.set(key, String(value))
  }
  const text = search.toString()
  return text ? `?${text}` : ''
}
