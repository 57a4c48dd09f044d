import { Migration } from '@mikro-orm/migrations'
import type { Knex } from '@mikro-orm/knex'

/**
 * Written with knex's schema builder so one migration serves SQLite and PostgreSQL alike.
 * Never edit a migration that has shipped: add a new one.
 */
export class Migration20261126000000_foundation extends Migration {
  protected schema(build: (schema: Knex.SchemaBuilder) => Knex.SchemaBuilder): void {
    for (const query of build(this.getKnex().schema).toSQL()) this.addSql(query.sql)
  }

  override async up(): Promise<void> {
    const timestamp = (t: Knex.CreateTableBuilder, name: string) =>
      t.timestamp(name, { useTz: true, precision: 6 })

    this.schema((s) =>
      s.createTable('profile', (t) => {
        t.increments('id')
        t.string('external_id', 255).nullable().unique()
        t.string('email', 320).nullable()
        t.string('email_norm', 320).nullable().index()
        t.boolean('email_valid').notNullable().defaultTo(true)
        t.string('first_name', 255).nullable()
        t.string('last_name', 255).nullable()
        t.string('time_zone', 64).nullable()
        t.jsonb('attributes').notNullable().defaultTo('{}')
        t.boolean('subscribed').notNullable().defaultTo(true)
        timestamp(t, 'created_at').notNullable()
        timestamp(t, 'updated_at').notNullable()
      }),
    )

    this.schema((s) =>
      s.createTable('address_status', (t) => {
        t.string('email', 320).primary()
        t.string('status', 16).notNullable()
        t.integer('error_count').notNullable().defaultTo(0)
        timestamp(t, 'last_error_at').nullable()
        t.string('last_error_reason', 500).nullable()
        timestamp(t, 'updated_at').notNullable()
      }),
    )

    this.schema((s) =>
      s.createTable('app_user', (t) => {
        t.increments('id')
        t.string('name', 255).notNullable().unique()
        t.jsonb('roles').notNullable()
        timestamp(t, 'created_at').notNullable()
      }),
    )

    this.schema((s) =>
      s.createTable('api_token', (t) => {
        t.increments('id')
        t.integer('user_id')
          .unsigned()
          .notNullable()
          .references('app_user.id')
          .onUpdate('cascade')
          .onDelete('cascade')
        t.string('token_hash', 64).notNullable().unique()
        t.string('label', 255).notNullable()
        timestamp(t, 'created_at').notNullable()
        timestamp(t, 'last_used_at').nullable()
        timestamp(t, 'revoked_at').nullable()
      }),
    )

    this.schema((s) =>
      s.createTable('delivery', (t) => {
        t.increments('id')
        t.string('label', 255).notNullable()
        t.string('subject', 998).notNullable()
        t.text('html').nullable()
        t.text('text').nullable()
        t.string('from_name', 255).nullable()
        t.string('from_email', 320).nullable()
        t.jsonb('audience').notNullable()
        timestamp(t, 'contact_date').nullable()
        t.string('time_zone', 64).nullable()
        t.boolean('tracking').notNullable().defaultTo(false)
        t.string('guarantee', 16).notNullable().defaultTo('at_least_once')
        t.boolean('require_approval').notNullable().defaultTo(true)
        t.integer('target_limit').nullable()
        t.string('status', 32).notNullable().defaultTo('draft').index()
        t.integer('version').notNullable().defaultTo(1)
        t.integer('prepared_version').nullable()
        t.integer('messages_to_deliver').notNullable().defaultTo(0)
        t.integer('target_count').notNullable().defaultTo(0)
        t.integer('excluded_count').notNullable().defaultTo(0)
        t.jsonb('preparation_report').nullable()
        t.string('rejection_reason', 1000).nullable()
        t.string('approved_by', 255).nullable()
        timestamp(t, 'approved_at').nullable()
        t.string('confirmed_by', 255).nullable()
        timestamp(t, 'confirmed_at').nullable()
        timestamp(t, 'sending_started_at').nullable()
        timestamp(t, 'finished_at').nullable()
        t.string('send_error', 1000).nullable()
        t.string('created_by', 255).notNullable()
        timestamp(t, 'created_at').notNullable()
        timestamp(t, 'updated_at').notNullable()
      }),
    )

    this.schema((s) =>
      s.createTable('sending_log', (t) => {
        t.increments('id')
        t.integer('delivery_id')
          .unsigned()
          .notNullable()
          .references('delivery.id')
          .onUpdate('cascade')
          .onDelete('cascade')
        t.integer('profile_id')
          .unsigned()
          .notNullable()
          .references('profile.id')
          .onUpdate('cascade')
          .onDelete('cascade')
        t.string('email', 320).notNullable()
        t.integer('batch_no').notNullable()
        t.string('status', 16).notNullable()
        t.string('failure_type', 16).nullable()
        t.string('failure_reason', 500).nullable()
        t.integer('smtp_code').nullable()
        t.integer('attempts').notNullable().defaultTo(0)
        t.boolean('in_doubt').notNullable().defaultTo(false)
        t.string('claim', 255).nullable()
        timestamp(t, 'next_retry_at').nullable()
        timestamp(t, 'sent_at').nullable()
        timestamp(t, 'updated_at').nullable()
        t.unique(['delivery_id', 'profile_id'])
        t.index(['delivery_id', 'batch_no', 'status'])
        t.index(['delivery_id', 'status'])
        t.index(['profile_id'])
      }),
    )

    this.schema((s) =>
      s.createTable('exclusion_log', (t) => {
        t.increments('id')
        t.integer('delivery_id')
          .unsigned()
          .notNullable()
          .references('delivery.id')
          .onUpdate('cascade')
          .onDelete('cascade')
        t.integer('profile_id')
          .unsigned()
          .notNullable()
          .references('profile.id')
          .onUpdate('cascade')
          .onDelete('cascade')
        t.string('email', 320).nullable()
        t.string('reason', 32).notNullable()
        t.unique(['delivery_id', 'profile_id'])
        t.index(['delivery_id', 'reason'])
      }),
    )

    this.schema((s) =>
      s.createTable('rate_limit', (t) => {
        t.string('name', 64).primary()
        t.bigInteger('next_at').notNullable()
      }),
    )
  }
}
