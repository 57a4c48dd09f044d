import { bodyOf } from '../api-client'
import type { Dashboard, DashboardApp, DashboardContext } from '../context'
import { urlNumber } from '../reads'
import { ImportPage, type ImportJson } from '../views/imports'

/** The dashboard's **Import profiles** page: a form that hands the file to `POST /api/profiles/import`. */
export function importPages(app: DashboardApp, dash: Dashboard): void {
  const page = (c: DashboardContext) => dash.pageContext(c, 'imports')
  const read = async (c: DashboardContext, id: number) =>
    bodyOf(await dash.callAs(c)<ImportJson>('GET', `/api/imports/${id}`))

  app.get('/imports', async (c) => {
    const id = c.req.query('id')
    const result = id === undefined ? null : await read(c, urlNumber('id', id))
    return c.html(<ImportPage page={page(c)} result={result} error={null} />)
  })

  app.post('/imports', async (c) => {
    // The session check has read the form already (Hono keeps it).
    const form = await c.req.parseBody()
    const file = form.file
    const mode = form.mode === 'insert' ? 'insert' : 'upsert'
    const delimiter = typeof form.delimiter === 'string' ? form.delimiter : ','
    if (!(file instanceof File) || file.size === 0) {
      return c.html(<ImportPage page={page(c)} result={null} error="Choose a CSV file." />, 400)
    }
    const res = await dash.deps.api(
      `/api/profiles/import?${new URLSearchParams({ mode, delimiter })}`,
      { method: 'POST', headers: { 'content-type': 'text/csv' }, body: await file.arrayBuffer() },
      c.get('user'),
    )
    const reply = (await res.json()) as ImportJson & { error?: { message: string } }
    if (!res.ok) {
      const error = reply.error?.message ?? res.statusText
      const status = res.status === 403 || res.status === 413 ? res.status : 400
      return c.html(<ImportPage page={page(c)} result={null} error={error} />, status)
    }
    return c.redirect(`/imports?id=${reply.id}`, 303)
  })
}
