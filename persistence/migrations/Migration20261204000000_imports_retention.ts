import { Migration } from '@mikro-orm/migrations'
import type { Knex } from '@mikro-orm/knex'

/**
 * Issue 15: CSV imports (a job, its rows staged while the file streams in, its rejected lines), log
 * retention (what a delivery keeps once its logs are purged) and quarantine clean-up (whether a
 * quarantine came from a hard or a soft bounce, and every change of an address's status).
 */
export class Migration20261204000000_imports_retention extends Migration {
  protected schema(build: (schema: Knex.SchemaBuilder) => Knex.SchemaBuilder): void {
    for (const query of build(this.getKnex().schema).toSQL()) this.addSql(query.sql)
  }

  override async up(): Promise<void> {
    const timestamp = (t: Knex.CreateTableBuilder, name: string) =>
      t.timestamp(name, { useTz: true, precision: 6 })
    const importReference = (t: Knex.CreateTableBuilder) =>
      t
        .integer('import_id')
        .unsigned()
        .notNullable()
        .references('import_job.id')
        .onUpdate('cascade')
        .onDelete('cascade')

    this.schema((s) =>
      s.createTable('import_job', (t) => {
        t.increments('id')
        t.string('status', 16).notNullable()
        t.string('mode', 8).notNullable()
        t.integer('rows').notNullable().defaultTo(0)
        t.integer('applied_line').notNullable().defaultTo(0)
        t.integer('created').notNullable().defaultTo(0)
        t.integer('updated').notNullable().defaultTo(0)
        t.integer('rejected').notNullable().defaultTo(0)
        t.string('error', 1000).nullable()
        t.string('created_by', 255).notNullable()
        timestamp(t, 'created_at').notNullable()
        timestamp(t, 'updated_at').notNullable()
        timestamp(t, 'finished_at').nullable()
      }),
    )

    this.schema((s) =>
      s.createTable('import_row', (t) => {
        importReference(t)
        t.integer('line').notNullable()
        t.string('external_id', 255).nullable()
        t.string('email', 320).nullable()
        t.string('email_norm', 320).nullable()
        t.boolean('email_valid').notNullable().defaultTo(true)
        t.string('first_name', 255).nullable()
        t.string('last_name', 255).nullable()
        t.string('time_zone', 64).nullable()
        t.boolean('subscribed').nullable()
        t.text('attributes').nullable()
        t.integer('profile_id').nullable()
        t.primary(['import_id', 'line'])
        t.unique(['import_id', 'external_id'])
      }),
    )

    this.schema((s) =>
      s.createTable('import_rejection', (t) => {
        t.increments('id')
        importReference(t)
        t.integer('line').notNullable()
        t.string('reason', 500).notNullable()
        t.index(['import_id', 'line'])
      }),
    )

    this.schema((s) =>
      s.createTable('delivery_log_purge', (t) => {
        t.integer('delivery_id')
          .unsigned()
          .notNullable()
          .references('delivery.id')
          .onUpdate('cascade')
          .onDelete('cascade')
          .primary()
        timestamp(t, 'purged_at').notNullable()
        t.jsonb('counts').notNullable()
      }),
    )

    this.schema((s) =>
      s.createTable('address_history', (t) => {
        t.increments('id')
        t.string('email', 320).notNullable()
        t.string('status', 16).notNullable()
        t.string('previous_status', 16).nullable()
        t.string('reason', 500).nullable()
        t.string('actor', 255).notNullable()
        timestamp(t, 'at').notNullable()
        t.index(['email', 'id'])
      }),
    )

    this.schema((s) => s.alterTable('address_status', (t) => t.string('quarantine_type', 8).nullable()))
  }
}
