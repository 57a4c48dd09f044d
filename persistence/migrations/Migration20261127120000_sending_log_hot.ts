import { Migration } from '@mikro-orm/migrations'

/**
 * The send loop changes a sending log's status twice per message. With `status` in no index, that
 * update rewrites no index entry (in PostgreSQL it can be a HOT update, kept on its page thanks to the
 * lower fill factor), which is most of a message's database cost. Batches are found by
 * (delivery, batch); counts per status read the delivery's rows.
 */
export class Migration20261127120000_sending_log_hot extends Migration {
  override async up(): Promise<void> {
    const knex = this.getKnex()
    const statements = knex.schema
      .alterTable('sending_log', (t) => {
        t.dropIndex(['delivery_id', 'batch_no', 'status'])
        t.dropIndex(['delivery_id', 'status'])
        t.index(['delivery_id', 'batch_no'])
      })
      .toSQL()
    for (const query of statements) this.addSql(query.sql)
    if (knex.client.dialect === 'postgresql') {
      this.addSql('alter table "sending_log" set (fillfactor = 80)')
    }
  }
}
