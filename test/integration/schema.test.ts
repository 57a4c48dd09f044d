import { createTestDatabaseUrl, testDialect } from '../support/harness'
import { openDatabase, type Database } from '../../persistence/database'

/** The migrations are the schema; the entities must describe exactly what they create. */
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

  test('every entity property has its column in the migrated database', async () => {
    for (const meta of Object.values(db.orm.getMetadata().getAll())) {
      const columns = await db.knex(meta.tableName).columnInfo()
      const expected = meta.props.flatMap((prop) => prop.fieldNames ?? [])
      expect({ table: meta.tableName, missing: expected.filter((c) => !(c in columns)) }).toEqual({
        table: meta.tableName,
        missing: [],
      })
    }
  })

  // SQLite's column types are too loose for an exact comparison; PostgreSQL's are not.
  if (testDialect() === 'postgres') {
    test('the entities and the migrations agree exactly', async () => {
      expect(await db.orm.getSchemaGenerator().getUpdateSchemaSQL()).toBe('')
    })
  }
})
