import { Migration } from '@mikro-orm/migrations'

/**
 * Why a message failed, in the product's categories (domain/failure-categories.ts). Not indexed: the
 * send loop writes it with the status, and counts per category read one delivery's rows anyway.
 */
export class Migration20261203000000_failure_category extends Migration {
  override async up(): Promise<void> {
    const statements = this.getKnex()
      .schema.alterTable('sending_log', (t) => {
        t.string('failure_category', 32).nullable()
      })
      .toSQL()
    for (const query of statements) this.addSql(query.sql)
  }
}
