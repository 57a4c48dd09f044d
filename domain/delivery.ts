import type { Audience } from './audience'
import type { DeliveryGuarantee } from './sending'

/** What an edit may change on a delivery; any of it means preparing again. */
export interface DeliveryChanges {
  label?: string
  subject?: string
  html?: string | null
  text?: string | null
  fromName?: string | null
  fromEmail?: string | null
  audience?: Audience
  tracking?: boolean
  guarantee?: DeliveryGuarantee
  targetLimit?: number | null
  timeZone?: string | null
  /** Read the contact date in each recipient's time zone (sent in waves). */
  recipientTimeZone?: boolean
}
