import { hasRight, type Right, type Role } from '../domain/roles'

/**
 * What the API offers, read from its OpenAPI document: which routes exist and the right each needs.
 * The dashboard shows a button only for a route that exists and a right the user holds, so it follows
 * the API as routes land (tracking, recurring deliveries) without a second copy of the rules.
 */

type Method = 'get' | 'post' | 'patch' | 'delete'

interface OpenApiDocument {
  paths?: Record<string, Partial<Record<Method, { 'x-required-right'?: Right }> | undefined>>
}

/**
 * Routes the dashboard uses when they exist. The tracking issue (3) brings Compute stats, tracking logs
 * and, for the chart, a time series `{ points: [{ at: ISO date, opens, clicks }] }` of unique opens and
 * clicks per interval; the embedded default brings the SMTP sink's mailbox; the recurring issue (4)
 * brings recurring deliveries, their executions and runs.
 */
export const optionalRoutes = {
  computeStats: ['post', '/api/deliveries/{id}/compute-stats'],
  trackingLogs: ['get', '/api/deliveries/{id}/tracking-logs'],
  trackingSeries: ['get', '/api/deliveries/{id}/tracking-series'],
  mailbox: ['get', '/api/sink/messages'],
  recurring: ['get', '/api/recurring-deliveries'],
  alerts: ['get', '/api/alerts'],
} as const satisfies Record<string, readonly [Method, string]>

export type OptionalRoute = keyof typeof optionalRoutes

export class ApiFeatures {
  constructor(private readonly doc: OpenApiDocument) {}

  /** The right a route needs, or undefined when the API has no such route. */
  rightFor(method: Method, path: string): Right | undefined {
    return this.doc.paths?.[path]?.[method]?.['x-required-right']
  }

  has(route: OptionalRoute): boolean {
    const [method, path] = optionalRoutes[route]
    return this.rightFor(method, path) !== undefined
  }

  /** The route exists and one of the roles holds its right. */
  allows(roles: readonly Role[], method: Method, path: string): boolean {
    const right = this.rightFor(method, path)
    return right !== undefined && hasRight(roles, right)
  }
}
