/** Opens and clicks over time, as an SVG line chart with the same figures in a table. */

export interface TrackingPoint {
  at: string
  opens: number
  clicks: number
}

const width = 640
const height = 200
const pad = { left: 40, right: 12, top: 12, bottom: 28 }

/** SVG `points` of one series, scaled into the plot area (time on x, count on y). */
export function polylinePoints(points: TrackingPoint[], value: (p: TrackingPoint) => number): string {
  const times = points.map((p) => Date.parse(p.at))
  const [first, last] = [Math.min(...times), Math.max(...times)]
  const top = Math.max(1, ...points.map((p) => Math.max(p.opens, p.clicks)))
  const x = (t: number) =>
    pad.left + (last === first ? 0 : ((t - first) / (last - first)) * (width - pad.left - pad.right))
  const y = (v: number) => height - pad.bottom - (v / top) * (height - pad.top - pad.bottom)
  return points.map((p, i) => `${x(times[i]).toFixed(1)},${y(value(p)).toFixed(1)}`).join(' ')
}

export function TrackingChart(props: { points: TrackingPoint[] }) {
  const { points } = props
  if (points.length === 0) return <p>No opens or clicks yet.</p>
  const top = Math.max(1, ...points.map((p) => Math.max(p.opens, p.clicks)))
  const label = (at: string) => at.slice(0, 16).replace('T', ' ')
  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${width} ${height}`} role="img" aria-labelledby="chart-title chart-desc">
        <title id="chart-title">Opens and clicks over time</title>
        <desc id="chart-desc">
          {`From ${label(points[0].at)} to ${label(points[points.length - 1].at)} UTC; at most ${top} per interval.`}
        </desc>
        <line
          class="axis"
          x1={pad.left}
          y1={height - pad.bottom}
          x2={width - pad.right}
          y2={height - pad.bottom}
        />
        <line class="axis" x1={pad.left} y1={pad.top} x2={pad.left} y2={height - pad.bottom} />
        <text x={pad.left - 6} y={pad.top + 4} text-anchor="end">
          {top}
        </text>
        <text x={pad.left - 6} y={height - pad.bottom} text-anchor="end">
          0
        </text>
        <text x={pad.left} y={height - 8}>
          {label(points[0].at)}
        </text>
        <text x={width - pad.right} y={height - 8} text-anchor="end">
          {label(points[points.length - 1].at)}
        </text>
        <polyline class="series-opens" points={polylinePoints(points, (p) => p.opens)} />
        <polyline class="series-clicks" points={polylinePoints(points, (p) => p.clicks)} />
      </svg>
      <figcaption>
        <span class="legend-opens">Opens</span> <span class="legend-clicks">Clicks (dashed)</span>
      </figcaption>
      <details>
        <summary>Figures</summary>
        <table>
          <thead>
            <tr>
              <th scope="col">Time (UTC)</th>
              <th scope="col" class="num">
                Opens
              </th>
              <th scope="col" class="num">
                Clicks
              </th>
            </tr>
          </thead>
          <tbody>
            {points.map((p) => (
              <tr>
                <td>{label(p.at)}</td>
                <td class="num">{p.opens}</td>
                <td class="num">{p.clicks}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  )
}
