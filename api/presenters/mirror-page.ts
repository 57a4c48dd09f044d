import { escapeUTF8 } from 'entities'
import { compileTrackedHtml } from '../../domain/tracked-links'
import { renderText } from '../../domain/personalisation'
import type { TrackingTarget } from '../../domain/tracking-token'
import { renderMessageHtml, type MessageRecipient } from '../../mail/compose'
import { sanitizeMessageHtml, trackingPage } from '../../mail/mirror-page'
import { TrackingUrls } from '../../mail/tracking-urls'
import type { Database } from '../../persistence/database'
import { deliveryContent } from '../../persistence/delivery-queries'
import { getProfile } from '../../persistence/profiles'
import { sentAddress } from '../../persistence/tracking'

/** The message as this profile received it, without the open pixel. */
export async function mirrorPage(
  deps: { db: Database; secret: string; publicUrl: string },
  t: TrackingTarget,
): Promise<string | null> {
  const [delivery, profile, email] = await Promise.all([
    deliveryContent(deps.db, t.deliveryId),
    getProfile(deps.db, t.profileId),
    sentAddress(deps.db, t.deliveryId, t.profileId),
  ])
  if (!delivery || !profile || !email) return null
  const recipient: MessageRecipient = { ...profile, email, profileId: t.profileId }
  const content = {
    deliveryId: t.deliveryId,
    subject: delivery.subject,
    html: delivery.html,
    text: delivery.text,
    from: '',
    tracking: {
      urls: new TrackingUrls(deps.secret, deps.publicUrl, t.deliveryId),
      trackedHtml: delivery.tracking ? compileTrackedHtml(delivery.html ?? '') : null,
    },
  }
  const subject = renderText(delivery.subject, recipient)
  if (content.html) {
    const html = renderMessageHtml(content, recipient, { pixel: false })
    return trackingPage(subject, sanitizeMessageHtml(html))
  }
  return trackingPage(
    subject,
    `<pre style="white-space:pre-wrap">${escapeUTF8(renderText(content.text ?? '', recipient))}</pre>`,
  )
}
