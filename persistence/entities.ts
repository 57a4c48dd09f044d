import { defineEntity, p, type InferEntity } from '@mikro-orm/core'
import type { DeliveryStatus } from '../domain/delivery-states'
import type { Role } from '../domain/roles'
import type { AddressStatus } from '../domain/address'
import type { ExclusionReason } from '../domain/exclusions'
import type { DeliveryGuarantee, FailureType, SendingStatus } from '../domain/sending'
import type { FailureCategory } from '../domain/failure-categories'
import type { Audience } from '../domain/audience'
import type { PreparationReport } from '../domain/preparation'
import type { AggregationPeriod } from '../domain/recurrence'
import type { RecurringStatus, RunStatus } from '../domain/recurring-runs'

/**
 * Herald's tables. The schema itself lives in the committed migrations (one set for SQLite and
 * PostgreSQL); a test checks that these definitions and the migrations agree.
 */

export const Profile = defineEntity({
  name: 'Profile',
  properties: {
    id: p.integer().primary().autoincrement(),
    externalId: p.string().length(255).nullable().unique(),
    email: p.string().length(320).nullable(),
    /** Trimmed, lower-cased address: addresses match case-insensitively. */
    emailNorm: p.string().length(320).nullable().index(),
    emailValid: p.boolean().default(true),
    firstName: p.string().length(255).nullable(),
    lastName: p.string().length(255).nullable(),
    timeZone: p.string().length(64).nullable(),
    attributes: p.json<Record<string, unknown>>().default('{}'),
    subscribed: p.boolean().default(true),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p
      .datetime()
      .onCreate(() => new Date())
      .onUpdate(() => new Date()),
  },
})
export type IProfile = InferEntity<typeof Profile>

export const AddressState = defineEntity({
  name: 'AddressState',
  tableName: 'address_status',
  properties: {
    email: p.string().length(320).primary(),
    status: p.string().length(16).$type<AddressStatus>().index(),
    errorCount: p.integer().default(0),
    lastErrorAt: p.datetime().nullable(),
    lastErrorReason: p.string().length(500).nullable(),
    /** What quarantined the address: a hard bounce (stays) or soft errors (released after a while). */
    quarantineType: p.string().length(8).$type<'hard' | 'soft'>().nullable(),
    updatedAt: p
      .datetime()
      .onCreate(() => new Date())
      .onUpdate(() => new Date()),
  },
})
export type IAddressState = InferEntity<typeof AddressState>

export const User = defineEntity({
  name: 'User',
  tableName: 'app_user',
  properties: {
    id: p.integer().primary().autoincrement(),
    name: p.string().length(255).unique(),
    roles: p.json<Role[]>(),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
})
export type IUser = InferEntity<typeof User>

export const ApiToken = defineEntity({
  name: 'ApiToken',
  properties: {
    id: p.integer().primary().autoincrement(),
    user: () => p.manyToOne(User).deleteRule('cascade'),
    /** SHA-256 of the token; the token itself is shown once and never stored. */
    tokenHash: p.string().length(64).unique(),
    label: p.string().length(255),
    createdAt: p.datetime().onCreate(() => new Date()),
    lastUsedAt: p.datetime().nullable(),
    revokedAt: p.datetime().nullable(),
  },
})
export type IApiToken = InferEntity<typeof ApiToken>

/** A dashboard login: the cookie carries the session id, the database only its SHA-256 (see dashboard/session.ts). */
export const DashboardSession = defineEntity({
  name: 'DashboardSession',
  tableName: 'dashboard_session',
  properties: {
    idHash: p.string().length(64).primary(),
    token: () => p.manyToOne(ApiToken).deleteRule('cascade'),
    createdAt: p.datetime(),
    expiresAt: p.datetime().index(),
  },
})
export type IDashboardSession = InferEntity<typeof DashboardSession>

export const Delivery = defineEntity({
  name: 'Delivery',
  properties: {
    id: p.integer().primary().autoincrement(),
    label: p.string().length(255),
    subject: p.string().length(998),
    html: p.text().nullable(),
    text: p.text().nullable(),
    fromName: p.string().length(255).nullable(),
    fromEmail: p.string().length(320).nullable(),
    audience: p.json<Audience>(),
    /** When to start sending; null sends once confirmed. */
    contactDate: p.datetime().nullable(),
    timeZone: p.string().length(64).nullable(),
    /** The contact date is a wall-clock time read in each recipient's zone: sent in waves. */
    recipientTimeZone: p.boolean().default(false),
    tracking: p.boolean().default(false),
    guarantee: p.string().length(16).$type<DeliveryGuarantee>().default('at_least_once'),
    requireApproval: p.boolean().default(true),
    /** Approval waits for a proof of the current version; null: as HERALD_REQUIRE_PROOF says. */
    requireProof: p.boolean().nullable(),
    targetLimit: p.integer().nullable(),
    status: p.string().length(32).$type<DeliveryStatus>().default('draft').index(),
    /** Bumped by every edit; a preparation is valid for one version. */
    version: p.integer().default(1),
    preparedVersion: p.integer().nullable(),
    messagesToDeliver: p.integer().default(0),
    targetCount: p.integer().default(0),
    excludedCount: p.integer().default(0),
    preparationReport: p.json<PreparationReport>().nullable(),
    rejectionReason: p.string().length(1000).nullable(),
    approvedBy: p.string().length(255).nullable(),
    approvedAt: p.datetime().nullable(),
    confirmedBy: p.string().length(255).nullable(),
    confirmedAt: p.datetime().nullable(),
    sendingStartedAt: p.datetime().nullable(),
    finishedAt: p.datetime().nullable(),
    /** The transport error the send is currently retrying on, if any. */
    sendError: p.string().length(1000).nullable(),
    /** Set on an execution of a recurring delivery: the recurrence, and the aggregation period it covers. */
    recurringId: p.integer().nullable(),
    periodKey: p.string().length(255).nullable(),
    createdBy: p.string().length(255),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p
      .datetime()
      .onCreate(() => new Date())
      .onUpdate(() => new Date()),
  },
  uniques: [{ properties: ['recurringId', 'periodKey'] }],
})
export type IDelivery = InferEntity<typeof Delivery>

export const SendingLog = defineEntity({
  name: 'SendingLog',
  properties: {
    id: p.integer().primary().autoincrement(),
    delivery: () => p.manyToOne(Delivery).deleteRule('cascade'),
    profile: () => p.manyToOne(Profile).deleteRule('cascade'),
    email: p.string().length(320),
    batchNo: p.integer(),
    status: p.string().length(16).$type<SendingStatus>(),
    failureType: p.string().length(16).$type<FailureType>().nullable(),
    failureCategory: p.string().length(32).$type<FailureCategory>().nullable(),
    failureReason: p.string().length(500).nullable(),
    smtpCode: p.integer().nullable(),
    attempts: p.integer().default(0),
    /** The message was in flight when a worker or the database was lost. */
    inDoubt: p.boolean().default(false),
    /** Which activity attempt holds the row while its message is in flight. */
    claim: p.string().length(255).nullable(),
    nextRetryAt: p.datetime().nullable(),
    /** The instant of the recipient's wave (recipient time zone deliveries); null: no wave. */
    plannedAt: p.datetime().nullable(),
    sentAt: p.datetime().nullable(),
    updatedAt: p.datetime().nullable(),
  },
  uniques: [{ properties: ['delivery', 'profile'] }],
  indexes: [{ properties: ['delivery', 'batchNo'] }, { properties: ['profile'] }],
})
export type ISendingLog = InferEntity<typeof SendingLog>

export const ExclusionLog = defineEntity({
  name: 'ExclusionLog',
  properties: {
    id: p.integer().primary().autoincrement(),
    delivery: () => p.manyToOne(Delivery).deleteRule('cascade'),
    profile: () => p.manyToOne(Profile).deleteRule('cascade'),
    email: p.string().length(320).nullable(),
    reason: p.string().length(32).$type<ExclusionReason>(),
  },
  uniques: [{ properties: ['delivery', 'profile'] }],
  indexes: [{ properties: ['delivery', 'reason'] }],
})
export type IExclusionLog = InferEntity<typeof ExclusionLog>

/** Shared send-rate reservations (GCRA): one row per limiter, read and advanced atomically. */
export const RateLimit = defineEntity({
  name: 'RateLimit',
  properties: {
    name: p.string().length(64).primary(),
    nextAt: p.bigint('number'),
  },
})

/** A delivery that repeats on a Temporal schedule; each aggregation period is one execution (a delivery). */
export const RecurringDelivery = defineEntity({
  name: 'RecurringDelivery',
  properties: {
    id: p.integer().primary().autoincrement(),
    label: p.string().length(255),
    subject: p.string().length(998),
    html: p.text().nullable(),
    text: p.text().nullable(),
    fromName: p.string().length(255).nullable(),
    fromEmail: p.string().length(320).nullable(),
    audience: p.json<Audience>(),
    tracking: p.boolean().default(false),
    guarantee: p.string().length(16).$type<DeliveryGuarantee>().default('at_least_once'),
    targetLimit: p.integer().nullable(),
    cron: p.string().length(255).nullable(),
    intervalMs: p.bigint('number').nullable(),
    timeZone: p.string().length(64),
    startsAt: p.datetime().nullable(),
    endsAt: p.datetime().nullable(),
    aggregation: p.string().length(8).$type<AggregationPeriod>().default('none'),
    confirmBeforeEachSend: p.boolean().default(false),
    /** Each occurrence's time is a wall-clock time read in each recipient's zone: runs send in waves. */
    recipientTimeZone: p.boolean().default(false),
    status: p.string().length(16).$type<RecurringStatus>().default('active'),
    createdBy: p.string().length(255),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p
      .datetime()
      .onCreate(() => new Date())
      .onUpdate(() => new Date()),
  },
})
export type IRecurringDelivery = InferEntity<typeof RecurringDelivery>

/** One run of a recurring delivery: one workflow started by its schedule. */
export const RecurringRun = defineEntity({
  name: 'RecurringRun',
  properties: {
    id: p.integer().primary().autoincrement(),
    recurring: () => p.manyToOne(RecurringDelivery).deleteRule('cascade'),
    /** The execution this run added to. */
    delivery: () => p.manyToOne(Delivery).nullable().deleteRule('set null'),
    workflowId: p.string().length(255).unique(),
    scheduledAt: p.datetime(),
    startedAt: p.datetime(),
    status: p.string().length(32).$type<RunStatus>(),
    reason: p.string().length(500).nullable(),
    /** The batches of the execution this run prepared: firstBatch … firstBatch + batchCount - 1. */
    firstBatch: p.integer().nullable(),
    batchCount: p.integer().default(0),
    messagesToDeliver: p.integer().default(0),
    excludedCount: p.integer().default(0),
    confirmedBy: p.string().length(255).nullable(),
    confirmedAt: p.datetime().nullable(),
    finishedAt: p.datetime().nullable(),
  },
  indexes: [{ properties: ['recurring', 'status'] }, { properties: ['delivery'] }],
})
export type IRecurringRun = InferEntity<typeof RecurringRun>

export const entities = [
  Profile,
  AddressState,
  User,
  ApiToken,
  DashboardSession,
  Delivery,
  SendingLog,
  ExclusionLog,
  RateLimit,
  RecurringDelivery,
  RecurringRun,
]
