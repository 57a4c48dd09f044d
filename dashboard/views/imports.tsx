import { DateTime, Layout, type PageContext } from './layout'

/** The CSV import page: upload a file, then follow its import (counts, rejected lines). */

export interface ImportJson {
  id: number
  status: 'staging' | 'running' | 'finished' | 'failed'
  mode: 'upsert' | 'insert'
  rows: number
  applied: number
  created: number
  updated: number
  rejected: number
  rejections: { line: number; reason: string }[]
  createdBy: string
  createdAt: string
  finishedAt: string | null
}

export function ImportPage(props: { page: PageContext; result: ImportJson | null; error: string | null }) {
  const { result } = props
  return (
    <Layout title="Import profiles" page={props.page}>
      {result?.status === 'running' && <meta http-equiv="refresh" content="2" />}
      <h1>Import profiles</h1>
      <p>
        A CSV file with a header row: <code>externalId</code>, <code>email</code>, <code>firstName</code>,{' '}
        <code>lastName</code>, <code>timeZone</code>, <code>subscribed</code>; any other column is an
        attribute. An empty cell leaves the profile&apos;s value as it is.
      </p>
      {props.error && (
        <p class="flash flash-error" role="alert">
          {props.error}
        </p>
      )}
      <form method="post" action="/imports" enctype="multipart/form-data" class="import-form">
        <input type="hidden" name="_csrf" value={props.page.csrf ?? ''} />
        <p>
          <label for="import-file">CSV file</label>
          <input id="import-file" name="file" type="file" accept=".csv,text/csv" required />
        </p>
        <p>
          <label for="import-mode">Profiles that exist (same externalId)</label>
          <select id="import-mode" name="mode">
            <option value="upsert">are updated</option>
            <option value="insert">are left as they are (the row is rejected)</option>
          </select>
        </p>
        <p>
          <label for="import-delimiter">Separator</label>
          <select id="import-delimiter" name="delimiter">
            <option value=",">comma ,</option>
            <option value=";">semicolon ;</option>
            <option value="tab">tab</option>
            <option value="|">bar |</option>
          </select>
        </p>
        <button type="submit">Import</button>
      </form>
      {result && <ImportResult result={result} />}
    </Layout>
  )
}

function ImportResult(props: { result: ImportJson }) {
  const r = props.result
  return (
    <section aria-labelledby="import-result">
      <h2 id="import-result">
        Import {r.id}: {r.status === 'running' ? `running, ${r.applied} of ${r.rows} rows applied` : r.status}
      </h2>
      <dl class="summary">
        <dt>Created</dt>
        <dd>{r.created}</dd>
        <dt>Updated</dt>
        <dd>{r.updated}</dd>
        <dt>Rejected</dt>
        <dd>{r.rejected}</dd>
        <dt>By</dt>
        <dd>
          {r.createdBy}, <DateTime value={r.createdAt} />
        </dd>
      </dl>
      {r.rejections.length > 0 && (
        <table>
          <caption>
            Rejected rows{r.rejected > r.rejections.length ? ` (the first ${r.rejections.length})` : ''}
          </caption>
          <thead>
            <tr>
              <th scope="col" class="num">
                Line
              </th>
              <th scope="col">Reason</th>
            </tr>
          </thead>
          <tbody>
            {r.rejections.map((rejection) => (
              <tr>
                <td class="num">{rejection.line}</td>
                <td>{rejection.reason}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  )
}
