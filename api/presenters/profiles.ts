import { messageIdFor } from '../../domain/message-id'
import { renderHeader } from '../../domain/personalisation'
import { TrackingUrls } from '../../mail/tracking-urls'
import type { profileHistory } from '../../persistence/profile-history'
import type { getProfile } from '../../persistence/profiles'
import type { ApiContext } from '../context'

type HistoryEntry = Awaited<ReturnType<typeof profileHistory>>['items'][number]
type Profile = NonNullable<Awaited<ReturnType<typeof getProfile>>>

/** A delivery in a profile's history: its subject as the profile read it, its Message-ID, its mirror page. */
export function presentHistoryEntry(ctx: ApiContext, profile: Profile, entry: HistoryEntry) {
  const { trackingSecret, config } = ctx
  return {
    ...entry,
    subject: renderHeader(entry.subject, profile),
    messageId: messageIdFor(entry.deliveryId, profile.id, config.smtp.messageIdDomain),
    mirrorPageUrl: new TrackingUrls(trackingSecret, config.api.publicUrl, entry.deliveryId).url(
      'mirror',
      profile.id,
    ),
  }
}
