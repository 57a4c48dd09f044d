import { z } from '@hono/zod-openapi'
import { addressStatuses, isValidEmail } from '../domain/address'
import { trackingKinds } from '../domain/tracking-token'
import { failureCategories, type FailureCategory } from '../domain/failure-categories'
import { alertCriteria } from '../domain/alerts'
import { numberPathParam, numberQueryParam, PageQuery } from './schemas'

/** Schemas of the monitoring, tracking and bounce routes. */

export const Kpis = z
  .object({
    messagesToDeliver: z.number(),
    processed: z.number(),
    delivered: z.number(),
    bounces: z.number(),
    opens: z.number(),
    clicks: z.number(),
    deliveredRate: z.number(),
    bounceRate: z.number(),
    openRate: z.number(),
    clickRate: z.number(),
    progress: z.number(),
  })
  .openapi('Kpis')

export const StatsFigures = z
  .object({ kpis: Kpis, computedAt: z.string().nullable(), refreshedAt: z.string().nullable() })
  .openapi('StatsFigures')

/** Sending logs per failure category, every category listed (0 when none). */
export const FailureCategoryCounts = z
  .object(
    Object.fromEntries(failureCategories.map((c) => [c, z.number()])) as Record<FailureCategory, z.ZodNumber>,
  )
  .openapi('FailureCategoryCounts')

export const TrackingLogQuery = PageQuery.extend({
  type: z.enum(trackingKinds).optional(),
  profileId: numberQueryParam(),
})

export const TrackingLog = z
  .object({
    id: z.number(),
    profileId: z.number(),
    type: z.enum(trackingKinds),
    url: z.string().nullable(),
    userAgent: z.string().nullable(),
    at: z.string().nullable(),
  })
  .openapi('TrackingLog')

export const TrackingSeries = z
  .object({ points: z.array(z.object({ at: z.string(), opens: z.number(), clicks: z.number() })) })
  .openapi('TrackingSeries')

export const TrackedUrl = z
  .object({ linkNo: z.number(), url: z.string(), clicks: z.number(), uniqueClicks: z.number() })
  .openapi('TrackedUrl')

export const exportableLogs = ['sending-logs', 'exclusion-logs', 'tracking-logs'] as const
export const ExportParam = z.object({
  id: numberPathParam(),
  log: z.enum(exportableLogs).openapi({ param: { in: 'path' } }),
})

export const ProfileHistoryEntry = z
  .object({
    deliveryId: z.number(),
    label: z.string(),
    subject: z.string(),
    deliveryStatus: z.string(),
    status: z.string(),
    failureType: z.string().nullable(),
    failureReason: z.string().nullable(),
    messageId: z.string(),
    sentAt: z.string().nullable(),
    updatedAt: z.string().nullable(),
    opened: z.boolean(),
    opens: z.number(),
    clicks: z.number(),
    lastActivityAt: z.string().nullable(),
    mirrorPageUrl: z.string(),
  })
  .openapi('ProfileHistoryEntry')

export const Alert = z
  .object({
    id: z.number(),
    deliveryId: z.number(),
    deliveryLabel: z.string(),
    criterion: z.enum(alertCriteria).openapi({
      description:
        'bounce_ratio: bounces above HERALD_ALERT_BOUNCE_RATIO; preparation_failed; delivery_failed: the send ' +
        'ended failed; start_pending: confirmed but not sending HERALD_ALERT_START_PENDING after it was due; ' +
        'min_rate: fewer than HERALD_ALERT_MIN_RATE messages a minute over HERALD_ALERT_MIN_RATE_WINDOW of sending',
    }),
    message: z.string(),
    emailedTo: z.string().nullable(),
    emailedAt: z.string().nullable(),
    createdAt: z.string().nullable(),
  })
  .openapi('Alert')

export const AlertQuery = PageQuery.extend({
  deliveryId: numberQueryParam(),
  criterion: z.enum(alertCriteria).optional(),
})

export const AddressQuery = PageQuery.extend({
  status: z.enum(addressStatuses).optional(),
  email: z.string().max(320).optional(),
})

export const Address = z
  .object({
    email: z.string(),
    status: z.enum(addressStatuses),
    errorCount: z.number(),
    lastErrorAt: z.string().nullable(),
    reason: z.string().nullable(),
    updatedAt: z.string().nullable(),
  })
  .openapi('Address')

export const EmailParam = z.object({
  email: z
    .string()
    .min(3)
    .max(320)
    .openapi({ param: { in: 'path' }, example: 'ada@example.com' }),
})

export const BounceEvent = z
  .strictObject({
    /** `ignored`: an auto-reply or out-of-office — recorded on the message, not a bounce. */
    type: z.enum(['hard', 'soft', 'ignored', 'complaint']),
    /** The failure category; by default read from the reason (its enhanced status code, its words). */
    category: z.enum(failureCategories).optional(),
    /** The Message-ID of the bounced message (`<herald.d42.p7@…>`), or… */
    messageId: z.string().max(998).optional(),
    /** …the address that bounced or complained. */
    email: z.string().max(320).refine(isValidEmail, 'not a valid email address').optional(),
    reason: z.string().max(500).optional(),
    /** When the bounce or complaint happened (ISO 8601); now by default. */
    at: z.iso.datetime({ offset: true }).optional(),
  })
  .openapi('BounceEvent')

export const BounceReport = z
  .strictObject({ events: z.array(BounceEvent).min(1).max(1000) })
  .openapi('BounceReport')
