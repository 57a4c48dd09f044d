import { Client } from '@temporalio/client'
import { createApp } from '../../server/app'
import { loadConfig } from '../../config/env'
import { rights, type Right } from '../../domain/roles'
import { SmtpSink } from '../../mail/smtp-sink'
import type { Database } from '../../persistence/database'
import { seededSecret } from '../support/seed'

/** The OpenAPI document is generated from the routes themselves; nothing here talks to a server. */
describe('the OpenAPI document', () => {
  // A lazy Temporal client never connects; the database is not reached by reading the document.
  const app = createApp({
    db: {} as Database,
    temporal: new Client(),
    config: loadConfig({ HERALD_TRACKING_SECRET: seededSecret('tracking', 32) }),
    sink: new SmtpSink(),
  })
  const openRoutes = (path: string) => path === '/api/openapi.json' || path.startsWith('/api/docs')

  type Operation = {
    'x-required-right'?: Right
    'x-roles'?: string[]
    description?: string
    requestBody?: unknown
    responses: Record<string, { content?: { 'application/json'?: { schema?: { $ref?: string } } } }>
  }
  let document: { paths: Record<string, Record<string, Operation>> }
  beforeAll(async () => {
    document = (await (await app.request('/api/openapi.json')).json()) as typeof document
  })

  const apiRoutes = () => {
    const seen = new Set<string>()
    for (const route of app.routes) {
      if (route.method === 'ALL' || !route.path.startsWith('/api/') || openRoutes(route.path)) continue
      seen.add(`${route.method.toLowerCase()} ${route.path.replace(/:(\w+)/g, '{$1}')}`)
    }
    return [...seen].map((key) => key.split(' ') as [string, string])
  }

  test('every API route of the app appears in the document, and nothing else', () => {
    const routes = apiRoutes()
    expect(routes.length).toBeGreaterThan(20)
    const documented = Object.entries(document.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((method) => `${method} ${path}`),
    )
    expect(documented.sort()).toEqual(routes.map(([m, p]) => `${m} ${p}`).sort())
  })

  test('every route states the right it needs and the roles holding it, in x-roles and in words', () => {
    for (const [method, path] of apiRoutes()) {
      const op = document.paths[path][method]
      const right = op['x-required-right']!
      expect({ route: `${method} ${path}`, right: right in rights }).toEqual({
        route: `${method} ${path}`,
        right: true,
      })
      expect(op['x-roles']).toEqual([...rights[right]])
      expect(op.description).toMatch(/\*\*Roles:\*\* .+\(`\w+`\)/)
    }
    const confirm = document.paths['/api/deliveries/{id}/confirm'].post
    expect(confirm['x-roles']).toEqual(['start'])
    expect(confirm.description).toContain('**Roles:** Start deliveries (`start`).')
  })

  test('every route lists its error replies, all with the one error shape', () => {
    for (const [method, path] of apiRoutes()) {
      const op = document.paths[path][method]
      const codes = Object.keys(op.responses)
      const expected = ['401', '403']
      if (path.includes('{')) expected.push('400', '404')
      if (op.requestBody) expected.push('400', '413')
      expect({ route: `${method} ${path}`, missing: expected.filter((c) => !codes.includes(c)) }).toEqual({
        route: `${method} ${path}`,
        missing: [],
      })
      for (const code of codes.filter((c) => Number(c) >= 400)) {
        expect(op.responses[code].content?.['application/json']?.schema?.$ref).toBe(
          '#/components/schemas/Error',
        )
      }
    }
    // Commands go to the delivery's workflow: refused in the wrong state, or Temporal too slow.
    const approve = Object.keys(document.paths['/api/deliveries/{id}/approve'].post.responses)
    expect(approve).toEqual(expect.arrayContaining(['409', '503']))
    expect(Object.keys(document.paths['/api/me'].get.responses).sort()).toEqual(['200', '401', '403'])
  })
})
