import type { MigrationObject } from '@mikro-orm/core'
import { Migration20261126000000_foundation } from './Migration20261126000000_foundation'
import { Migration20261127000000_tracking } from './Migration20261127000000_tracking'
import { Migration20261127000000_recurring } from './Migration20261127000000_recurring'
import { Migration20261127120000_sending_log_hot } from './Migration20261127120000_sending_log_hot'
import { Migration20261201000000_dashboard_sessions } from './Migration20261201000000_dashboard_sessions'
import { Migration20261202000000_webhooks } from './Migration20261202000000_webhooks'
import { Migration20261203000000_failure_category } from './Migration20261203000000_failure_category'
import { Migration20261203010000_proofs } from './Migration20261203010000_proofs'
import { Migration20261204000000_imports_retention } from './Migration20261204000000_imports_retention'
import { Migration20261205000000_recipient_time_zone } from './Migration20261205000000_recipient_time_zone'
import { Migration20261206000000_recurring_recipient_time_zone } from './Migration20261206000000_recurring_recipient_time_zone'

/** Every migration, in order. Listed explicitly so bundled and compiled builds find them. */
export const migrations: MigrationObject[] = [
  { name: 'Migration20261126000000_foundation', class: Migration20261126000000_foundation },
  { name: 'Migration20261127000000_tracking', class: Migration20261127000000_tracking },
  { name: 'Migration20261127000000_recurring', class: Migration20261127000000_recurring },
  { name: 'Migration20261127120000_sending_log_hot', class: Migration20261127120000_sending_log_hot },
  { name: 'Migration20261201000000_dashboard_sessions', class: Migration20261201000000_dashboard_sessions },
  { name: 'Migration20261202000000_webhooks', class: Migration20261202000000_webhooks },
  { name: 'Migration20261203000000_failure_category', class: Migration20261203000000_failure_category },
  { name: 'Migration20261203010000_proofs', class: Migration20261203010000_proofs },
  { name: 'Migration20261204000000_imports_retention', class: Migration20261204000000_imports_retention },
  {
    name: 'Migration20261205000000_recipient_time_zone',
    class: Migration20261205000000_recipient_time_zone,
  },
  {
    name: 'Migration20261206000000_recurring_recipient_time_zone',
    class: Migration20261206000000_recurring_recipient_time_zone,
  },
]
