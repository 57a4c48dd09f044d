import { z } from '@hono/zod-openapi'
import { deliveryStatuses } from '../domain/delivery-states'
import {
  attributeName,
  audience,
  confirmation,
  deliveryChanges,
  deliveryContent,
  line,
  rejection,
  timeZone,
  userName,
} from '../domain/delivery-input'
import { exclusionReasons } from '../domain/exclusions'
import { failureTypes, sendingStatuses } from '../domain/sending'
import { failureCategories } from '../domain/failure-categories'
import { roles } from '../domain/roles'
import { maxId, wholeNumber, type WholeNumberRange } from '../domain/whole-number'

/**
 * Request and reply schemas: they validate requests and generate the OpenAPI document alike. What a
 * delivery command carries comes from domain/delivery-input, which the workflows' validators use too.
 */

/** A path parameter naming a number (an id): canonical decimal digits only, see domain/whole-number. */
export function numberPathParam(range: WholeNumberRange = {}) {
  const { min = 1, max = maxId } = range
  return wholeNumber(range).openapi({ param: { in: 'path' }, type: 'integer', minimum: min, maximum: max })
}

/** An optional query parameter naming a number (an id to filter by). */
export function numberQueryParam(range: WholeNumberRange = {}) {
  const { min = 1, max = maxId } = range
  return wholeNumber(range).optional().openapi({ type: 'integer', minimum: min, maximum: max })
}

/** A page number or size: canonical digits, in range, or the default when absent. */
function pagingParam(max: number, fallback: number) {
  return wholeNumber({ max })
    .optional()
    .default(fallback)
    .openapi({ type: 'integer', minimum: 1, maximum: max, default: fallback })
}

export const IdParam = z.object({ id: numberPathParam() })

export const PageQuery = z.object({
  page: pagingParam(1_000_000, 1),
  pageSize: pagingParam(500, 50),
})

export const ErrorReply = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      field: z.string().optional(),
      issues: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
    }),
  })
  .openapi('Error')

const attributeValue = z.union([z.string().max(10_000), z.number(), z.boolean(), z.null()])

export const ProfileInput = z
  .strictObject({
    externalId: line(255).min(1).optional(),
    email: line(320).nullable().optional(),
    firstName: line(255).nullable().optional(),
    lastName: line(255).nullable().optional(),
    timeZone: timeZone.nullable().optional(),
    attributes: z
      .record(attributeName, z.union([attributeValue, z.array(attributeValue).max(100)]))
      .optional(),
    subscribed: z.boolean().optional(),
  })
  .openapi('ProfileInput')

export const ProfilesImport = z
  .strictObject({ profiles: z.array(ProfileInput).min(1).max(10_000) })
  .openapi('ProfilesImport')
export const ImportQuery = z.object({
  acceptInvalidEmails: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true'),
})

export const Profile = z
  .object({
    id: z.number(),
    externalId: z.string().nullable(),
    email: z.string().nullable(),
    emailValid: z.boolean(),
    firstName: z.string().nullable(),
    lastName: z.string().nullable(),
    timeZone: z.string().nullable(),
    attributes: z.record(z.string(), z.unknown()),
    subscribed: z.boolean(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Profile')

export const Audience = audience.openapi('Audience')

const content = { ...deliveryContent, audience: Audience }

export const DeliveryCreate = z
  .strictObject({
    ...content,
    /** ISO 8601; without an offset it is read in `timeZone` */
    contactDate: z.string().max(64).nullable().optional(),
    recipientTimeZone: z
      .boolean()
      .optional()
      .openapi({
        description:
          'Send at each recipient’s local time: `contactDate` (without offset) is read in each profile’s ' +
          'time zone (the delivery’s `timeZone` for a profile without one) and sent in waves',
      }),
    requireApproval: z.boolean().optional(),
    /** Approval waits for a proof of the current content (default: HERALD_REQUIRE_PROOF). */
    requireProof: z.boolean().optional(),
  })
  .openapi('DeliveryCreate')

export const DeliveryPatch = deliveryChanges
  .extend({ audience: Audience.optional() })
  .openapi('DeliveryPatch')

export const ScheduleInput = z
  .strictObject({ contactDate: z.string().max(64).nullable(), timeZone: timeZone.nullable().optional() })
  .openapi('Schedule')
export const RejectInput = z.strictObject(rejection).openapi('Reject')
export const ConfirmInput = z.strictObject(confirmation).openapi('Confirm')
export const NoInput = z.strictObject({})

export const DeliveryQuery = PageQuery.extend({
  status: z.enum(deliveryStatuses).optional(),
  search: z.string().max(255).optional(),
})

export const Progress = z
  .object({
    toDeliver: z.number(),
    processed: z.number(),
    delivered: z.number(),
    failed: z.number(),
    pending: z.number(),
    retrying: z.number(),
    inFlight: z.number(),
    inDoubt: z.number(),
    percent: z.number(),
  })
  .openapi('Progress')

export const Wave = z
  .object({
    at: z.string().openapi({ description: 'The instant the wave is sent (ISO 8601, UTC)' }),
    atText: z
      .string()
      .openapi({ description: 'The instant in words in its zone: "2026-12-01 09:00 Europe/Paris"' }),
    zones: z
      .array(z.string())
      .openapi({ description: 'The time zones whose contact time falls on this instant' }),
    recipients: z.number(),
    sent: z.number(),
    failed: z.number(),
    /** Not final yet: pending, in flight or waiting for a retry. */
    unfinished: z.number(),
  })
  .openapi('Wave')

export const Delivery = z
  .object({
    id: z.number(),
    label: z.string(),
    status: z.enum(deliveryStatuses),
    statusLabel: z.string(),
    logicalStatus: z.string(),
    subject: z.string(),
    html: z.string().nullable(),
    text: z.string().nullable(),
    audience: z.unknown(),
    contactDate: z.string().nullable(),
    /** The contact date in words, in the delivery's zone, naming it: "2026-12-01 09:00 Europe/Paris". */
    contactDateText: z.string().nullable(),
    timeZone: z.string().nullable(),
    recipientTimeZone: z.boolean(),
    /** Sent at each recipient's local time: the waves, earliest first; null otherwise. */
    waves: z.array(Wave).nullable(),
    /** The first wave with recipients still to send, or null. */
    nextWave: Wave.nullable(),
    messagesToDeliver: z.number(),
    progress: Progress,
    logsPurgedAt: z.string().nullable().openapi({
      description: 'When retention purged its sending, exclusion and tracking logs (its KPIs were kept)',
    }),
    workflowId: z.string(),
    temporalUrl: z.string(),
  })
  .passthrough()
  .openapi('Delivery')

export const SendingLogQuery = PageQuery.extend({
  status: z.enum(sendingStatuses).optional(),
  failureType: z.enum(failureTypes).optional(),
  /** Part of the failure reason (the SMTP reply), case-insensitive. */
  failureReason: z.string().max(200).optional(),
  /** The failure category (domain/failure-categories.ts). */
  category: z.enum(failureCategories).optional(),
  inDoubt: z.enum(['true', 'false']).optional(),
})

export const ExclusionLogQuery = PageQuery.extend({ reason: z.enum(exclusionReasons).optional() })

export const UserCreate = z
  .strictObject({ name: userName, roles: z.array(z.enum(roles)).min(1).max(roles.length) })
  .openapi('UserCreate')
export const TokenCreate = z.strictObject({ label: line(255).min(1).default('api') }).openapi('TokenCreate')

export const page = <T extends z.ZodTypeAny>(item: T) =>
  z.object({ items: z.array(item), page: z.number(), pageSize: z.number(), total: z.number() })
