import { Migration } from '@mikro-orm/migrations'
import type { Knex } from '@mikro-orm/knex'

/** Tracked URLs, tracking logs, KPI snapshots, delivery alerts; addresses listed by status. */
export class Migration20261127000000_tracking extends Migration {
  protected schema(build: (schema: Knex.SchemaBuilder) => Knex.SchemaBuilder): void {
    for (const query of build(this.getKnex().schema).toSQL()) this.addSql(query.sql)
  }

  override async up(): Promise<void> {
    const timestamp = (t: Knex.CreateTableBuilder, name: string) =>
      t.timestamp(name, { useTz: true, precision: 6 })
    const reference = (t: Knex.CreateTableBuilder, column: string, table: string) =>
      t
        .integer(column)
        .unsigned()
        .notNullable()
        .references(`${table}.id`)
        .onUpdate('cascade')
        .onDelete('cascade')

    this.schema((s) =>
      s.createTable('tracked_url', (t) => {
        t.increments('id')
        reference(t, 'delivery_id', 'delivery')
        t.integer('link_no').notNullable()
        t.text('url').notNullable()
        t.unique(['delivery_id', 'link_no'])
      }),
    )

    this.schema((s) =>
      s.createTable('tracking_log', (t) => {
        t.increments('id')
        reference(t, 'delivery_id', 'delivery')
        reference(t, 'profile_id', 'profile')
        t.string('type', 16).notNullable()
        t.integer('link_no').nullable()
        t.string('user_agent', 500).nullable()
        timestamp(t, 'created_at').notNullable()
        // new rows of a delivery (incremental refresh) and listing in order
        t.index(['delivery_id', 'id'])
        // unique clickers, and whether a profile had clicked before
        t.index(['delivery_id', 'type', 'profile_id', 'id'])
        // a profile's history, whether a profile had any event before
        t.index(['profile_id', 'delivery_id', 'id'])
      }),
    )

    this.schema((s) =>
      s.createTable('delivery_stats', (t) => {
        reference(t, 'delivery_id', 'delivery').primary()
        t.integer('delivered').notNullable().defaultTo(0)
        t.integer('failed').notNullable().defaultTo(0)
        t.integer('unique_opens').notNullable().defaultTo(0)
        t.integer('unique_clicks').notNullable().defaultTo(0)
        t.integer('settled_id').notNullable().defaultTo(0)
        t.integer('settled_opens').notNullable().defaultTo(0)
        t.integer('settled_clicks').notNullable().defaultTo(0)
        timestamp(t, 'computed_at').nullable()
        timestamp(t, 'refreshed_at').nullable()
      }),
    )

    this.schema((s) =>
      s.createTable('delivery_alert', (t) => {
        t.increments('id')
        reference(t, 'delivery_id', 'delivery')
        t.string('criterion', 32).notNullable()
        t.string('message', 1000).notNullable()
        t.string('emailed_to', 1000).nullable()
        timestamp(t, 'emailed_at').nullable()
        timestamp(t, 'created_at').notNullable()
        t.unique(['delivery_id', 'criterion'])
      }),
    )

    this.schema((s) => s.alterTable('address_status', (t) => t.index(['status'])))
  }
}
