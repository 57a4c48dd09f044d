import { Migration } from '@mikro-orm/migrations'

/**
 * A recurring delivery may send each occurrence at each recipient's local time (`recipient_time_zone`):
 * its runs prepare their executions in waves (the executions' own `recipient_time_zone` and the sending
 * logs' `planned_at`, added by the migration before).
 */
export class Migration20261206000000_recurring_recipient_time_zone extends Migration {
  override async up(): Promise<void> {
    const knex = this.getKnex()
    const statement = knex.schema.alterTable('recurring_delivery', (t) => {
      t.boolean('recipient_time_zone').notNullable().defaultTo(false)
    })
    for (const query of statement.toSQL()) this.addSql(query.sql)
  }
}
