import { Migration } from '@mikro-orm/migrations'
import type { Knex } from '@mikro-orm/knex'

/**
 * Proofs: one row per proof message (proof number, who, when, to whom, as which profile, Message-ID), and
 * the delivery version it showed, so approval can ask for a proof of the content as it stands. A
 * delivery may require a proof whatever the installation's setting (`require_proof`; null: the setting).
 */
export class Migration20261203010000_proofs extends Migration {
  override async up(): Promise<void> {
    const knex = this.getKnex()
    const statements = [
      knex.schema.createTable('proof', (t: Knex.CreateTableBuilder) => {
        t.increments('id')
        t.integer('delivery_id')
          .unsigned()
          .notNullable()
          .references('delivery.id')
          .onUpdate('cascade')
          .onDelete('cascade')
        t.integer('proof_no').notNullable()
        t.integer('delivery_version').notNullable()
        t.string('sent_by', 255).notNullable()
        t.timestamp('sent_at', { useTz: true, precision: 6 }).notNullable()
        t.string('email', 320).notNullable()
        t.integer('profile_id').notNullable()
        t.string('message_id', 998).notNullable()
        t.string('smtp_response', 500).nullable()
        t.index(['delivery_id', 'proof_no'])
      }),
      knex.schema.alterTable('delivery', (t) => {
        t.boolean('require_proof').nullable()
      }),
    ]
    for (const statement of statements) for (const query of statement.toSQL()) this.addSql(query.sql)
  }
}
