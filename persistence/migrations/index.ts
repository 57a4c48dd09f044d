import type { MigrationObject } from '@mikro-orm/core'
import { Migration20261126000000_foundation } from './Migration20261126000000_foundation'

/** Every migration, in order. Listed explicitly so bundled and compiled builds find them. */
export const migrations: MigrationObject[] = [
  { name: 'Migration20261126000000_foundation', class: Migration20261126000000_foundation },
]
