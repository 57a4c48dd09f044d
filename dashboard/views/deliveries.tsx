import { deliveryStatuses, statusLabels } from '../../domain/delivery-states'
import type { DeliveryJson } from '../deployment'
import { DateTime, Layout, Pager, StatusBadge, query, type PageContext } from './layout'

export interface DeliveryListProps {
  page: PageContext
  items: DeliveryJson[]
  total: number
  pageNo: number
  pageSize: number
  status: string
  search: string
}

export function DeliveryListPage(props: DeliveryListProps) {
  const { items, status, search } = props
  return (
    <Layout title="Deliveries" page={props.page}>
      <h1>Deliveries</h1>
      <form class="filters" method="get" action="/" role="search" aria-label="Filter deliveries">
        <div class="field">
          <label for="status">Status</label>
          <select id="status" name="status">
            <option value="">All statuses</option>
            {deliveryStatuses.map((s) => (
              <option value={s} selected={s === status}>
                {statusLabels[s]}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="search">Label contains</label>
          <input id="search" name="search" type="search" value={search} maxlength={255} />
        </div>
        <button type="submit">Filter</button>
      </form>
      {items.length === 0 ? (
        <p>No delivery matches.</p>
      ) : (
        <table class="deliveries">
          <caption>
            {props.total} {props.total === 1 ? 'delivery' : 'deliveries'}, newest first
          </caption>
          <thead>
            <tr>
              <th scope="col">Id</th>
              <th scope="col">Label</th>
              <th scope="col">Status</th>
              <th scope="col" class="num">
                To deliver
              </th>
              <th scope="col">Progress</th>
              <th scope="col">Created</th>
            </tr>
          </thead>
          <tbody>
            {items.map((d) => (
              <tr>
                <td>{d.id}</td>
                <td>
                  <a href={`/deliveries/${d.id}`}>{d.label}</a>
                </td>
                <td>
                  <StatusBadge status={d.status} label={d.statusLabel} logical={d.logicalStatus} />
                </td>
                <td class="num">{d.progress.toDeliver}</td>
                <td>
                  <progress max={100} value={d.progress.percent} aria-label={`Progress of ${d.label}`}>
                    {d.progress.percent} %
                  </progress>{' '}
                  <span class="muted">{d.progress.percent} %</span>
                </td>
                <td>
                  <DateTime value={d.createdAt} />
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
        href={(p) => `/${query({ status, search, page: p })}`}
      />
    </Layout>
  )
}
