import { Migration } from '@mikro-orm/migrations'
import type { Knex } from '@mikro-orm/knex'

/**
 * Recurring deliveries: the recurrence itself, its runs, and on each delivery the recurrence and the
 * aggregation period it is an execution of. One migration for SQLite and PostgreSQL (knex schema builder).
 */
export class Migration20261127000000_recurring extends Migration {
  protected schema(build: (schema: Knex.SchemaBuilder) => Knex.SchemaBuilder): void {
    for (const query of build(this.getKnex().schema).toSQL()) this.addSql(query.sql)
  }

  override async up(): Promise<void> {
    const timestamp = (t: Knex.CreateTableBuilder, name: string) =>
      t.timestamp(name, { useTz: true, precision: 6 })

    this.schema((s) =>
      s.createTable('recurring_delivery', (t) => {
        t.increments('id')
        t.string('label', 255).notNullable()
        t.string('subject', 998).notNullable()
        t.text('html').nullable()
        t.text('text').nullable()
        t.string('from_name', 255).nullable()
        t.string('from_email', 320).nullable()
        t.jsonb('audience').notNullable()
        t.boolean('tracking').notNullable().defaultTo(false)
        t.string('guarantee', 16).notNullable().defaultTo('at_least_once')
        t.integer('target_limit').nullable()
        t.string('cron', 255).nullable()
        t.bigInteger('interval_ms').nullable()
        t.string('time_zone', 64).notNullable()
        timestamp(t, 'starts_at').nullable()
        timestamp(t, 'ends_at').nullable()
        t.string('aggregation', 8).notNullable().defaultTo('none')
        t.boolean('confirm_before_each_send').notNullable().defaultTo(false)
        t.string('status', 16).notNullable().defaultTo('active')
        t.string('created_by', 255).notNullable()
        timestamp(t, 'created_at').notNullable()
        timestamp(t, 'updated_at').notNullable()
      }),
    )

    // An execution is a delivery: sending logs, exclusion logs, KPIs and monitoring work on it unchanged.
    this.schema((s) =>
      s.alterTable('delivery', (t) => {
        t.integer('recurring_id').nullable()
        t.string('period_key', 255).nullable()
        t.unique(['recurring_id', 'period_key'])
      }),
    )

    this.schema((s) =>
      s.createTable('recurring_run', (t) => {
        t.increments('id')
        t.integer('recurring_id')
          .unsigned()
          .notNullable()
          .references('recurring_delivery.id')
          .onUpdate('cascade')
          .onDelete('cascade')
        t.integer('delivery_id')
          .unsigned()
          .nullable()
          .references('delivery.id')
          .onUpdate('cascade')
          .onDelete('set null')
        t.string('workflow_id', 255).notNullable().unique()
        timestamp(t, 'scheduled_at').notNullable()
        timestamp(t, 'started_at').notNullable()
        t.string('status', 32).notNullable()
        t.string('reason', 500).nullable()
        t.integer('first_batch').nullable()
        t.integer('batch_count').notNullable().defaultTo(0)
        t.integer('messages_to_deliver').notNullable().defaultTo(0)
        t.integer('excluded_count').notNullable().defaultTo(0)
        t.string('confirmed_by', 255).nullable()
        timestamp(t, 'confirmed_at').nullable()
        timestamp(t, 'finished_at').nullable()
        t.index(['recurring_id', 'status'])
        t.index(['delivery_id'])
      }),
    )
  }
}
