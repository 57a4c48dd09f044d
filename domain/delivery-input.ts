import { z } from 'zod'
import {
  attributeKeyPattern,
  audienceProblems,
  filterOperators,
  type Audience as AudienceValue,
} from './audience'
import { deliveryGuarantees } from './sending'
import { isTimeZone } from './schedule'
import { maxId } from './whole-number'

/**
 * What a user may say about a delivery, as zod schemas shared by the API (which adds its OpenAPI names)
 * and the workflows' update validators: a command sent straight to Temporal is held to the very rules
 * of the API. Plain zod, no I/O: deterministic, so workflow code may import it.
 */

// eslint-disable-next-line no-control-regex
const noControl = /^[^\u0000-\u001f\u007f]*$/

/** One line of text: no CR, LF or other control character (subjects and names end up in headers). */
export const line = (max: number, tooLong?: string) =>
  z.string().max(max, tooLong).regex(noControl, 'must be a single line without control characters')

/**
 * A template's size limit: a delivery's subject, HTML and text are parsed and kept in memory while it is
 * sent (about 11 times their size at most; see domain/personalisation's bounded cache).
 */
const templateLimit = 1_000_000
export const messageBody = z
  .string()
  .max(templateLimit, 'must be at most 1,000,000 characters (a template’s limit)')

export const timeZone = z
  .string()
  .max(64)
  .refine(isTimeZone, 'must be an IANA time zone such as Europe/Paris')

/** A user's name: who gives a command (`by`), as the API records it. */
export const userName = line(255).min(1)

const filterValue = z.union([z.string().max(1000), z.number(), z.boolean()])

export const audience = z.strictObject({
  all: z.boolean().optional(),
  profileIds: z.array(z.number().int().positive().max(maxId)).max(1_000_000).optional(),
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

/** The fields of a delivery's content, audience and settings that a user sets. */
export const deliveryContent = {
  label: line(255).min(1),
  subject: line(998, 'must be at most 998 characters (a header line’s limit)').min(1),
  html: messageBody.nullable().optional(),
  text: messageBody.nullable().optional(),
  fromName: line(255).nullable().optional(),
  fromEmail: z.email().max(320).nullable().optional(),
  audience,
  tracking: z.boolean().optional(),
  guarantee: z.enum(deliveryGuarantees).optional(),
  targetLimit: z.number().int().positive().nullable().optional(),
  timeZone: timeZone.nullable().optional(),
}

/** An edit: any of the content fields, nothing else (never a status, a count or who did what). */
export const deliveryChanges = z.strictObject({
  label: deliveryContent.label.optional(),
  subject: deliveryContent.subject.optional(),
  html: deliveryContent.html,
  text: deliveryContent.text,
  fromName: deliveryContent.fromName,
  fromEmail: deliveryContent.fromEmail,
  audience: audience.optional(),
  tracking: deliveryContent.tracking,
  guarantee: deliveryContent.guarantee,
  targetLimit: deliveryContent.targetLimit,
  timeZone: deliveryContent.timeZone,
  recipientTimeZone: z.boolean().optional(),
})

export const rejection = { reason: line(1000).min(1) }

/** The count of messages the user saw when confirming. */
export const confirmation = { expectedMessages: z.number().int().min(0).optional() }

/** A contact date as the workflow receives it: epoch ms within the range of a JavaScript date, or null. */
const epochMs = z.number().int().min(-8.64e15).max(8.64e15)

/** The profile attribute names a profile import accepts. */
export const attributeName = z
  .string()
  .regex(attributeKeyPattern, 'attribute names use letters, digits, _ and - (64 at most)')

/** Audience rules the schema cannot say (which fields exist, which operators need a value), as zod issues. */
function checkAudience(value: AudienceValue | undefined, path: (string | number)[], ctx: z.RefinementCtx) {
  if (!value) return
  for (const problem of audienceProblems(value)) {
    ctx.addIssue({
      code: 'custom',
      message: problem.message,
      path: [...path, ...problem.field.split('.').slice(1)],
    })
  }
}

const actor = { by: userName }

/** The payload of each delivery command, as the workflow's update validators check it. */
export const commandPayloads = {
  prepare: z.strictObject(actor),
  approve: z.strictObject(actor),
  reject: z.strictObject({ ...actor, ...rejection }),
  confirm: z.strictObject({ ...actor, ...confirmation }),
  schedule: z.strictObject({
    ...actor,
    contactDate: epochMs.nullable(),
    timeZone: timeZone.nullable().optional(),
  }),
  edit: z
    .strictObject({ ...actor, changes: deliveryChanges })
    .superRefine((payload, ctx) => checkAudience(payload.changes.audience, ['changes', 'audience'], ctx)),
  pause: z.strictObject(actor),
  resume: z.strictObject(actor),
  stop: z.strictObject(actor),
  delete: z.strictObject(actor),
} as const

/** A recurring run's confirmation. */
export const runConfirmationPayload = z.strictObject({ ...actor, ...confirmation })

/**
 * What is wrong with an audience as stored (a row written before a rule existed, or by hand), named
 * like the API names it (`audience.filter.0.field: …`); null when the API would accept it.
 */
export function audienceProblem(value: unknown): string | null {
  const problem = payloadProblem(z.strictObject({ audience }), { audience: value })
  if (problem) return problem
  const [rule] = audienceProblems(value as AudienceValue)
  return rule ? `${rule.field}: ${rule.message}` : null
}

/** The failure type of a preparation that cannot succeed on the delivery's own data: never retried. */
export const preparationInputInvalid = 'PreparationInputInvalid'

/** The first problem of a payload, `field: message`, or null when the schema accepts it. */
export function payloadProblem(schema: z.ZodType, payload: unknown): string | null {
  const result = schema.safeParse(payload)
  if (result.success) return null
  const [issue] = result.error.issues
  return `${issue.path.length ? issue.path.join('.') : 'payload'}: ${issue.message}`
}
