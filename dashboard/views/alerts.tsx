import { alertCriterionLabels, type AlertCriterion } from '../../domain/alerts'
import { DateTime } from './layout'

export interface AlertJson {
  id: number
  criterion: AlertCriterion
  message: string
  emailedTo: string | null
  createdAt: string | null
}

/** The delivery's alerts (bounce ratio, failed preparation or send, start pending, low throughput), newest first. */
export function Alerts(props: { alerts: AlertJson[] }) {
  if (props.alerts.length === 0) return null
  return (
    <section aria-labelledby="alerts-title">
      <h2 id="alerts-title">Alerts</h2>
      <table data-table="alerts">
        <thead>
          <tr>
            <th scope="col">Alert</th>
            <th scope="col">Raised</th>
            <th scope="col">What happened</th>
            <th scope="col">Emailed to</th>
          </tr>
        </thead>
        <tbody>
          {props.alerts.map((a) => (
            <tr data-criterion={a.criterion}>
              <td>{alertCriterionLabels[a.criterion] ?? a.criterion}</td>
              <td>
                <DateTime value={a.createdAt} seconds />
              </td>
              <td>{a.message}</td>
              <td>{a.emailedTo ?? <span class="muted">not emailed</span>}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  )
}
