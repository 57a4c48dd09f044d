import { defineEntity, p } from '@mikro-orm/core'
import type { AddressStatus } from '../domain/address'
import { Delivery } from './entities'

/** CSV imports, log retention and address history (migration `…_imports_retention`). */

export const ImportJob = defineEntity({
  name: 'ImportJob',
  properties: {
    id: p.integer().primary().autoincrement(),
    status: p.string().length(16).$type<'staging' | 'running' | 'finished' | 'failed'>(),
    mode: p.string().length(8).$type<'upsert' | 'insert'>(),
    /** Rows staged from the file (rejected lines not counted). */
    rows: p.integer().default(0),
    /** Staged rows are applied in line order: every line up to this one is applied. */
    appliedLine: p.integer().default(0),
    created: p.integer().default(0),
    updated: p.integer().default(0),
    rejected: p.integer().default(0),
    error: p.string().length(1000).nullable(),
    createdBy: p.string().length(255),
    createdAt: p.datetime(),
    updatedAt: p.datetime(),
    finishedAt: p.datetime().nullable(),
  },
})

/** A row of the file, checked, waiting to be applied; deleted as it is applied. */
export const ImportRow = defineEntity({
  name: 'ImportRow',
  properties: {
    import: () => p.manyToOne(ImportJob).primary().deleteRule('cascade'),
    line: p.integer().primary(),
    externalId: p.string().length(255).nullable(),
    email: p.string().length(320).nullable(),
    emailNorm: p.string().length(320).nullable(),
    emailValid: p.boolean().default(true),
    firstName: p.string().length(255).nullable(),
    lastName: p.string().length(255).nullable(),
    timeZone: p.string().length(64).nullable(),
    subscribed: p.boolean().nullable(),
    /** JSON of the attributes the row gives. */
    attributes: p.text().nullable(),
    /** The existing profile the row updates, found when its chunk is applied. */
    profileId: p.integer().nullable(),
  },
  uniques: [{ properties: ['import', 'externalId'] }],
})

export const ImportRejection = defineEntity({
  name: 'ImportRejection',
  properties: {
    id: p.integer().primary().autoincrement(),
    import: () => p.manyToOne(ImportJob).deleteRule('cascade'),
    line: p.integer(),
    reason: p.string().length(500),
  },
  indexes: [{ properties: ['import', 'line'] }],
})

/** A delivery whose logs retention purged: its sending-log counts, kept for its KPIs. */
export const DeliveryLogPurge = defineEntity({
  name: 'DeliveryLogPurge',
  properties: {
    delivery: () => p.oneToOne(Delivery).primary().deleteRule('cascade'),
    purgedAt: p.datetime(),
    counts: p.json<Record<string, number>>(),
  },
})

/** Every change of an address's status: quarantines, denylisting, releases (by whom: a user or retention). */
export const AddressHistory = defineEntity({
  name: 'AddressHistory',
  properties: {
    id: p.integer().primary().autoincrement(),
    email: p.string().length(320),
    status: p.string().length(16).$type<AddressStatus>(),
    previousStatus: p.string().length(16).$type<AddressStatus>().nullable(),
    reason: p.string().length(500).nullable(),
    actor: p.string().length(255),
    at: p.datetime(),
  },
  indexes: [{ properties: ['email', 'id'] }],
})

export const importRetentionEntities = [
  ImportJob,
  ImportRow,
  ImportRejection,
  DeliveryLogPurge,
  AddressHistory,
]
