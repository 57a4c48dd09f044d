import { Migration } from '@mikro-orm/migrations'

/**
 * Sending at each recipient's local time: a delivery may read its contact date in each profile's zone
 * (`recipient_time_zone`), and each sending log then carries the instant its wave is planned for
 * (`planned_at`; null: sent once the delivery sends). Not indexed: the send loop reads a batch's rows,
 * and a batch never spans two waves.
 */
export class Migration20261205000000_recipient_time_zone extends Migration {
  override async up(): Promise<void> {
    const knex = this.getKnex()
    const statements = [
      knex.schema.alterTable('delivery', (t) => {
        t.boolean('recipient_time_zone').notNullable().defaultTo(false)
      }),
      knex.schema.alterTable('sending_log', (t) => {
        t.timestamp('planned_at', { useTz: true, precision: 6 }).nullable()
      }),
    ]
    for (const statement of statements) for (const query of statement.toSQL()) this.addSql(query.sql)
  }
}
