import { Migration } from '@mikro-orm/migrations'
import type { Knex } from '@mikro-orm/knex'

/**
 * Outgoing webhooks: the endpoints administrators register, and an outbox of events per endpoint. An
 * event row is written in the same transaction as the change it reports, so no change is recorded
 * without its events nor the other way round; each endpoint's dispatcher takes them in id order.
 */
export class Migration20261202000000_webhooks extends Migration {
  override async up(): Promise<void> {
    // A fresh schema builder per table: one builder accumulates every table it was given.
    const statements = [
      ...this.getKnex()
        .schema.createTable('webhook_endpoint', (t: Knex.CreateTableBuilder) => {
          t.increments('id').primary()
          t.string('url', 2000).notNullable()
          t.text('events').notNullable()
          t.string('secret', 255).notNullable()
          t.string('created_by', 255).notNullable()
          t.timestamp('created_at', { useTz: true, precision: 6 }).notNullable()
        })
        .toSQL(),
      ...this.getKnex()
        .schema.createTable('webhook_event', (t: Knex.CreateTableBuilder) => {
          t.increments('id').primary()
          t.integer('endpoint_id')
            .unsigned()
            .notNullable()
            .references('webhook_endpoint.id')
            .onUpdate('cascade')
            .onDelete('cascade')
          t.string('event_id', 36).notNullable().unique()
          t.string('type', 64).notNullable()
          t.text('payload').notNullable()
          t.string('status', 16).notNullable()
          t.integer('attempts').notNullable().defaultTo(0)
          t.string('last_error', 500).nullable()
          t.timestamp('created_at', { useTz: true, precision: 6 }).notNullable()
          t.timestamp('last_attempt_at', { useTz: true, precision: 6 }).nullable()
          t.timestamp('delivered_at', { useTz: true, precision: 6 }).nullable()
          t.index(['endpoint_id', 'status', 'id'])
        })
        .toSQL(),
    ]
    for (const query of statements) this.addSql(query.sql)
  }
}
