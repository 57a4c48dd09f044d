import { z } from '@hono/zod-openapi'
import { attributeKeyPattern, filterOperators } from '../domain/audience'
import { deliveryStatuses } from '../domain/delivery-states'
import { exclusionReasons } from '../domain/exclusions'
import { deliveryGuarantees, failureTypes, sendingStatuses } from '../domain/sending'
import { roles } from '../domain/roles'
import { isTimeZone } from '../domain/schedule'
import { maxId, wholeNumber, type WholeNumberRange } from '../domain/whole-number'

/** Request and reply schemas: they validate requests and generate the OpenAPI document alike. */

// eslint-disable-next-line no-control-regex
const noControl = /^[^\u0000-\u001f\u007f]*$/
const line = (max: number, tooLong?: string) =>
  z.string().max(max, tooLong).regex(noControl, 'must be a single line without control characters')
/**
 * A template's size limit: a delivery's subject, HTML and text are parsed and kept in memory while it is
 * sent (about 11 times their size at most; see domain/personalisation's bounded cache).
 */
const templateLimit = 1_000_000
const body = z.string().max(templateLimit, 'must be at most 1,000,000 characters (a template’s limit)')
const timeZone = z.string().max(64).refine(isTimeZone, 'must be an IANA time zone such as Europe/Paris')

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
      .record(
        z.string().regex(attributeKeyPattern, 'attribute names use letters, digits, _ and - (64 at most)'),
        z.union([attributeValue, z.array(attributeValue).max(100)]),
      )
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

const filterValue = z.union([z.string().max(1000), z.number(), z.boolean()])
export const Audience = z
  .strictObject({
    all: z.boolean().optional(),
    profileIds: z.array(z.number().int().positive()).max(1_000_000).optional(),
    filter: z
      .array(
        z.strictObject({
          field: z.string().max(80),
          op: z.enum(filterOperators),
          value: z.union([filterValue, z.array(filterValue).max(1000)]).optional(),
        }),
      )
      .max(50)
      .optional(),
  })
  .openapi('Audience')

const content = {
  label: line(255).min(1),
  subject: line(998, 'must be at most 998 characters (a header line’s limit)').min(1),
  html: body.nullable().optional(),
  text: body.nullable().optional(),
  fromName: line(255).nullable().optional(),
  fromEmail: z.email().max(320).nullable().optional(),
  audience: Audience,
  tracking: z.boolean().optional(),
  guarantee: z.enum(deliveryGuarantees).optional(),
  targetLimit: z.number().int().positive().nullable().optional(),
  timeZone: timeZone.nullable().optional(),
}

export const DeliveryCreate = z
  .strictObject({
    ...content,
    /** ISO 8601; without an offset it is read in `timeZone` */
    contactDate: z.string().max(64).nullable().optional(),
    requireApproval: z.boolean().optional(),
  })
  .openapi('DeliveryCreate')

export const DeliveryPatch = z
  .strictObject({
    label: content.label.optional(),
    subject: content.subject.optional(),
    html: content.html,
    text: content.text,
    fromName: content.fromName,
    fromEmail: content.fromEmail,
    audience: Audience.optional(),
    tracking: content.tracking,
    guarantee: content.guarantee,
    targetLimit: content.targetLimit,
    timeZone: content.timeZone,
  })
  .openapi('DeliveryPatch')

export const ScheduleInput = z
  .strictObject({ contactDate: z.string().max(64).nullable(), timeZone: timeZone.nullable().optional() })
  .openapi('Schedule')
export const RejectInput = z.strictObject({ reason: line(1000).min(1) }).openapi('Reject')
export const ConfirmInput = z
  .strictObject({ expectedMessages: z.number().int().min(0).optional() })
  .openapi('Confirm')
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
    timeZone: z.string().nullable(),
    messagesToDeliver: z.number(),
    progress: Progress,
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
  inDoubt: z.enum(['true', 'false']).optional(),
})

export const ExclusionLogQuery = PageQuery.extend({ reason: z.enum(exclusionReasons).optional() })

export const UserCreate = z
  .strictObject({ name: line(255).min(1), roles: z.array(z.enum(roles)).min(1).max(roles.length) })
  .openapi('UserCreate')
export const TokenCreate = z.strictObject({ label: line(255).min(1).default('api') }).openapi('TokenCreate')

export const page = <T extends z.ZodTypeAny>(item: T) =>
  z.object({ items: z.array(item), page: z.number(), pageSize: z.number(), total: z.number() })
