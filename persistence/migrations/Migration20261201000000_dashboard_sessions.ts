import { Migration } from '@mikro-orm/migrations'
import type { Knex } from '@mikro-orm/knex'

/**
 * Dashboard sessions kept in the database, so that logging out ends a session on the server: a copy of
 * the cookie is worth nothing afterwards. A row is known by the SHA-256 of the session id the cookie
 * carries; a revoked API token opens none of its sessions, a deleted one takes them with it.
 */
export class Migration20261201000000_dashboard_sessions extends Migration {
  override async up(): Promise<void> {
    const statements = this.getKnex()
      .schema.createTable('dashboard_session', (t: Knex.CreateTableBuilder) => {
        t.string('id_hash', 64).primary()
        t.integer('token_id')
          .unsigned()
          .notNullable()
          .references('api_token.id')
          .onUpdate('cascade')
          .onDelete('cascade')
        t.timestamp('created_at', { useTz: true, precision: 6 }).notNullable()
        t.timestamp('expires_at', { useTz: true, precision: 6 }).notNullable()
        t.index(['expires_at'])
      })
      .toSQL()
    for (const query of statements) this.addSql(query.sql)
  }
}
