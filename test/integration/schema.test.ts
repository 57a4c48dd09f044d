import { openDatabase, type Database } from '../../persistence/database'
import { createTestDatabaseUrl, testDialect } from '../support/harness'

/** The entities and the committed migrations describe one schema (persistence/entities.ts). */
describe('the database schema', () => {
  let db: Database
  let drop: () => Promise<void>
  beforeAll(async () => {
    const database = await createTestDatabaseUrl()
    drop = database.drop
    db = await openDatabase(database.url)
  })
  afterAll(async () => {
    await db?.close()
    await drop?.()
  })

  test('the migrations build every table and column the entities use', async () => {
    for (const meta of Object.values(db.orm.getMetadata().getAll())) {
      const columns = meta.props.flatMap((prop) => prop.fieldNames ?? [])
      const present = await Promise.all(
        columns.map((column) => db.knex.schema.hasColumn(meta.tableName, column)),
      )
      expect({ table: meta.tableName, missing: columns.filter((_, i) => !present[i]) }).toEqual({
        table: meta.tableName,
        missing: [],
      })
    }
  })

  // SQLite cannot alter columns in place, so MikroORM always proposes to rebuild its tables there.
  if (testDialect() === 'postgres') {
    test('on PostgreSQL, the entities need no change to the migrated schema', async () => {
      expect(await db.orm.getSchemaGenerator().getUpdateSchemaSQL({ wrap: false })).toBe('')
    })
  }
})
