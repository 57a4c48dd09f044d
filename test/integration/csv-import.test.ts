import fs from 'node:fs'
import path from 'node:path'
import { startHarness, waitUntil, type Harness } from '../support/harness'
import { Client, Connection } from '@temporalio/client'
import { importWorkflowId } from '../../workflows/import'
import { createApp } from '../../server/app'

/** POST /api/profiles/import: streamed CSV, line-numbered rejections, nothing changed by a file that is not CSV. */
describe('CSV profile import', () => {
  let h: Harness
  beforeAll(async () => {
    h = await startHarness({ env: { HERALD_IMPORT_SYNC_ROWS: '300', HERALD_IMPORT_CHUNK_ROWS: '100' } })
  })
  afterAll(() => h?.close())

  async function importCsv(csv: string | Uint8Array, query = '', as: 'creator' | 'viewer' = 'creator') {
    const res = await h.app.request(`/api/profiles/import${query}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${h.tokens[as]}`, 'content-type': 'text/csv' },
      body: csv,
    })
    return { status: res.status, location: res.headers.get('location'), body: (await res.json()) as any }
  }

  const profileByExternalId = (externalId: string) =>
    h.db.knex('profile').where('external_id', externalId).first()

  async function tableCounts() {
    const counts: Record<string, number> = {}
    for (const table of ['profile', 'import_job', 'import_row', 'import_rejection']) {
      const [{ n }] = await h.db.knex(table).count('* as n')
      counts[table] = Number(n)
    }
    return counts
  }

  test('creates and updates profiles, and rejects each bad row with its line and reason', async () => {
    const seeded = await h.api('POST', '/api/profiles', {
      body: {
        profiles: [
          {
            externalId: 'csv-ada',
            email: 'ada@example.com',
            firstName: 'Ada',
            lastName: 'Lovelace',
            attributes: { plan: 'free', city: 'London' },
          },
        ],
      },
    })
    expect(seeded.status).toBe(200)
    const csv = [
      'External ID;email;firstName;lastName;timeZone;subscribed;plan;attributes.team',
      'csv-ada;ada@example.org;;;Europe/London;no;pro;',
      'csv-alan;alan@example.com;Alan;Turing;;;pro;a',
      'csv-bad-email;not-an-address;B;;;;;',
      'csv-bad-zone;zone@example.com;Z;;Mars/Olympus;;;',
      'csv-alan;alan2@example.com;Alan;Again;;;;',
      'csv-short;short@example.com',
      'csv-sub;sub@example.com;S;;;maybe;;',
      '"csv-grace";"grace@example.com";"Grace; Brewster";Hopper;America/New_York;yes;"pro";b',
      ';;;;;;;',
      ';nokey@example.com;No;Key;;;;',
    ].join('\r\n')
    const res = await importCsv(csv, '?delimiter=%3B')
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({
      status: 'finished',
      mode: 'upsert',
      created: 3,
      updated: 1,
      rejected: 6,
    })
    expect(res.body.rejections).toEqual([
      { line: 4, reason: 'email: invalid address' },
      { line: 5, reason: 'timeZone: not an IANA time zone such as Europe/Paris' },
      { line: 6, reason: 'duplicate in file: line 3 has this externalId' },
      { line: 7, reason: 'has 2 fields where the header has 8' },
      { line: 8, reason: 'subscribed: not true or false' },
      { line: 10, reason: 'has neither an externalId nor an email' },
    ])
    const ada = await profileByExternalId('csv-ada')
    expect({
      email: ada.email,
      firstName: ada.first_name,
      lastName: ada.last_name,
      timeZone: ada.time_zone,
      subscribed: Boolean(ada.subscribed),
      attributes: typeof ada.attributes === 'string' ? JSON.parse(ada.attributes) : ada.attributes,
    }).toEqual({
      email: 'ada@example.org',
      firstName: 'Ada',
      lastName: 'Lovelace',
      timeZone: 'Europe/London',
      subscribed: false,
      attributes: { plan: 'pro', city: 'London' },
    })
    const grace = await profileByExternalId('csv-grace')
    expect([grace.first_name, grace.email_norm, Boolean(grace.subscribed)]).toEqual([
      'Grace; Brewster',
      'grace@example.com',
      true,
    ])
    const listed = await h.api('GET', '/api/profiles?email=nokey@example.com', { as: 'viewer' })
    expect(listed.body.items.map((p: any) => [p.externalId, p.firstName])).toEqual([[null, 'No']])
    const read = await h.api('GET', `/api/imports/${res.body.id}`, { as: 'viewer' })
    expect(read.body).toEqual(res.body)
    expect(Number((await h.db.knex('import_row').count('* as n'))[0].n)).toBe(0)
  })

  test('every character of a value arrives as written: quotes, backslashes, JSON, question marks, emoji', async () => {
    const odd = 'O"Brien \\ {"x": [1]} ? ?? $1 \u00fc 𝒳 end'
    const csv = `externalId,email,firstName,note\ncsv-odd,odd@example.com,"${odd.replace(/"/g, '""')}","${odd.replace(/"/g, '""')}"\n`
    const res = await importCsv(csv)
    expect(res.body).toMatchObject({ status: 'finished', created: 1, rejected: 0 })
    const profile = await profileByExternalId('csv-odd')
    const attributes =
      typeof profile.attributes === 'string' ? JSON.parse(profile.attributes) : profile.attributes
    expect([profile.first_name, attributes]).toEqual([odd, { note: odd }])
  })

  test("the README's example file gives the reply the README shows", async () => {
    const seeded = await h.api('POST', '/api/profiles', {
      body: { profiles: [{ externalId: 'ada', email: 'ada@example.com', firstName: 'Ada' }] },
    })
    expect(seeded.status).toBe(200)
    const file = fs.readFileSync(path.join(__dirname, '../../docs/profiles-example.csv'))
    const res = await importCsv(file)
    expect(res.body).toMatchObject({
      status: 'finished',
      rows: 4,
      applied: 4,
      created: 3,
      updated: 1,
      rejected: 3,
    })
    expect(res.body.rejections).toEqual([
      { line: 6, reason: 'email: invalid address' },
      { line: 7, reason: 'timeZone: not an IANA time zone such as Europe/Paris' },
      { line: 8, reason: 'duplicate in file: line 2 has this externalId' },
    ])
    expect((await profileByExternalId('grace')).attributes).toEqual(
      h.db.dialect === 'postgresql'
        ? { plan: 'free', city: 'Arlington, VA' }
        : JSON.stringify({ plan: 'free', city: 'Arlington, VA' }),
    )
  })

  test('mode=insert rejects the rows whose externalId exists, naming their line', async () => {
    const res = await importCsv(
      'externalId,email\ncsv-ada,ada3@example.com\ncsv-new,new@example.com\n',
      '?mode=insert',
    )
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({ created: 1, updated: 0, rejected: 1 })
    expect(res.body.rejections).toEqual([{ line: 2, reason: 'externalId exists already (mode=insert)' }])
    expect((await profileByExternalId('csv-ada')).email).toBe('ada@example.org')
  })

  test('a file that is not CSV gets 400 naming what is wrong, and changes nothing', async () => {
    const before = await tableCounts()
    const good = Array.from({ length: 1500 }, (_, i) => `nocsv-${i},nocsv${i}@example.com`)
    const cases: [string | Uint8Array, string][] = [
      [Uint8Array.from([0x50, 0x4b, 0x03, 0x04, 0x00, 0x00, 0x08, 0x00]), 'body'],
      ['{"profiles":[{"externalId":"x","email":"x@example.com"}]}', 'body'],
      ['name,phone\nAda,123', 'header'],
      [['externalId,email', ...good, 'broken,"unclosed@example.com', ...good].join('\n'), 'body'],
      [
        Buffer.concat([
          Buffer.from(['externalId,email', ...good].join('\n')),
          Buffer.from([0xc3, 0x28, 0x0a]),
        ]),
        'body',
      ],
      ['', 'body'],
      ['externalId,email,plan,plan\n1,a@example.com,x,y', 'header'],
    ]
    for (const [body, field] of cases) {
      const res = await importCsv(body)
      expect({ status: res.status, field: res.body.error?.field }).toEqual({ status: 400, field })
    }
    const json = await h.app.request('/api/profiles/import', {
      method: 'POST',
      headers: { authorization: `Bearer ${h.tokens.creator}`, 'content-type': 'application/json' },
      body: '{"profiles":[]}',
    })
    expect(json.status).toBe(415)
    expect((await importCsv('externalId\nx', '?delimiter=x')).body.error.field).toBe('delimiter')
    expect((await importCsv('externalId\nx', '', 'viewer')).status).toBe(403)
    expect(await tableCounts()).toEqual(before)
  })

  test('a file larger than the synchronous limit is applied by a workflow that survives a worker restart', async () => {
    await h.stopWorker()
    const rows = Array.from(
      { length: 1000 },
      (_, i) => `big-${i + 1},big${i + 1}@example.com,Big ${i + 1},${i % 7}`,
    )
    const res = await importCsv(['externalId,email,firstName,bucket', ...rows].join('\n'))
    expect(res.status).toBe(202)
    expect(res.location).toBe(`/api/imports/${res.body.id}`)
    expect(res.body).toMatchObject({ status: 'running', rows: 1000, applied: 0, created: 0 })
    await h.startWorker()
    const done = await waitUntil('the import to finish', async () => {
      const read = await h.api('GET', `/api/imports/${res.body.id}`, { as: 'viewer' })
      return read.body.status === 'finished' && read.body
    })
    expect(done).toMatchObject({ rows: 1000, applied: 1000, created: 1000, updated: 0, rejected: 0 })
    const big = await profileByExternalId('big-777')
    expect([big.email, big.first_name]).toEqual(['big777@example.com', 'Big 777'])
    const handle = h.client.workflow.getHandle(
      importWorkflowId(res.body.id, h.config.temporal.workflowIdPrefix),
    )
    // The last chunk marks the job finished; its workflow then completes.
    await handle.result()
    expect((await handle.describe()).status.name).toBe('COMPLETED')
  })

  test('Temporal not taking the workflow: 503, and nothing of the file stays', async () => {
    const before = await tableCounts()
    // An API whose Temporal is unreachable (nothing listens on that port).
    const connection = await Connection.lazy({ address: '127.0.0.1:1', connectTimeout: '2s' })
    const app = createApp({
      db: h.db,
      temporal: new Client({ connection, namespace: h.config.temporal.namespace }),
      config: h.config,
    })
    try {
      const rows = Array.from({ length: 400 }, (_, i) => `down-${i},down${i}@example.com`)
      const res = await app.request('/api/profiles/import', {
        method: 'POST',
        headers: { authorization: `Bearer ${h.tokens.creator}`, 'content-type': 'text/csv' },
        body: ['externalId,email', ...rows].join('\n'),
      })
      expect(res.status).toBe(503)
      expect(((await res.json()) as any).error.message).toMatch(/nothing was imported/)
      expect(await tableCounts()).toEqual(before)
    } finally {
      await connection.close()
    }
  })

  test('an upload abandoned while staging is discarded by a later upload, once past the staging timeout', async () => {
    const stage = async (createdAt: Date) => {
      const [row] = await h.db
        .knex('import_job')
        .insert({
          status: 'staging',
          mode: 'upsert',
          created_by: 'crashed',
          created_at: h.db.date(createdAt),
          updated_at: h.db.date(createdAt),
        })
        .returning('id')
      const id = Number(typeof row === 'object' ? row.id : row)
      await h.db.knex('import_row').insert({ import_id: id, line: 2, external_id: `abandoned-${id}` })
      return id
    }
    const old = await stage(new Date(Date.now() - 25 * 3600_000))
    const recent = await stage(new Date(Date.now() - 3600_000))
    const res = await importCsv('externalId,email\nafter-crash,after@example.com\n')
    expect(res.body).toMatchObject({ status: 'finished', created: 1 })
    const jobs = (await h.db.knex('import_job').whereIn('id', [old, recent]).pluck('id')).map(Number)
    expect(jobs).toEqual([recent])
    const staged = await h.db.knex('import_row').whereIn('import_id', [old, recent]).pluck('import_id')
    expect(staged.map(Number)).toEqual([recent])
  })
})
