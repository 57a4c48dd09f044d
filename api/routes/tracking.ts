import { TrackingBufferFull, type TrackingWriter } from '../../persistence/tracking-writer'
import { Hono, type Context } from 'hono'
import { escapeUTF8 } from 'entities'
import { mirrorPage } from '../presenters/mirror-page'
import { verifyToken, type TrackingKind, type TrackingTarget } from '../../domain/tracking-token'
import { isTrackable } from '../../domain/tracked-links'
import { renderText } from '../../domain/personalisation'
import type { QuarantineRules } from '../../domain/quarantine'
import type { Database } from '../../persistence/database'
import type { TrackingEvent } from '../../persistence/tracking'
import { getProfile } from '../../persistence/profiles'
import { applyAddressEvents } from '../../persistence/address-status'
import { findTrackedUrl, sentAddress, unsubscribeProfile } from '../../persistence/tracking'
import { mirrorPageHeaders, trackingPage } from '../../mail/mirror-page'
import { userForToken } from '../auth'
import { ApiError, notFound } from '../errors'

export interface TrackingDeps {
  db: Database
  secret: string
  publicUrl: string
  quarantine: QuarantineRules
  writer: TrackingWriter
  /**
   * Whether the request carries a live dashboard session (server/app.ts passes the dashboard's check):
   * a logged-in user's views are not a reader's.
   */
  dashboardSession?: (c: Context) => Promise<boolean>
}

/** A transparent 1×1 GIF. */
const pixel = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64')

const noCache = {
  'cache-control': 'no-cache, no-store, must-revalidate, max-age=0',
  pragma: 'no-cache',
  expires: '0',
}

/** The unsubscribe pages: their one form posts to themselves, and nobody may frame them. */
const unsubscribePageHeaders = {
  'content-security-policy':
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
}

const unsubscribePage = (c: Context, title: string, body: string) =>
  c.html(trackingPage(title, body), 200, { ...noCache, ...unsubscribePageHeaders })

/** While the database is down, hits wait in memory up to HERALD_TRACKING_BUFFER; beyond, they are refused. */
const tooManyWaiting = () =>
  new ApiError(503, 'tracking_unavailable', 'tracking hits cannot be stored at the moment; try again later')

/** An address as the unsubscribe page shows it: enough for its owner to recognise, `a•••@example.com`. */
export function maskedAddress(email: string): string {
  const at = email.lastIndexOf('@')
  if (at < 1) return '•••'
  return `${[...email.slice(0, at)][0]}•••${email.slice(at)}`
}

/**
 * Someone logged in to Herald — the dashboard's session cookie, or an API token — looking at a
 * message (from a profile's history, say) is no reader: their opens, clicks and views are not recorded.
 */
async function byHeraldUser(deps: TrackingDeps, c: Context): Promise<boolean> {
  const bearer = /^Bearer\s+(\S+)$/i.exec(c.req.header('authorization') ?? '')
  if (bearer) return Boolean(await userForToken(deps.db, bearer[1]))
  if (!c.req.header('cookie') || !deps.dashboardSession) return false
  return deps.dashboardSession(c)
}

/** A hit on a tracking link, as the tracking log records it. */
const hit = (c: Context, t: TrackingTarget): TrackingEvent => ({
  deliveryId: t.deliveryId,
  profileId: t.profileId,
  type: t.kind,
  linkNo: t.kind === 'click' ? t.linkNo : undefined,
  userAgent: c.req.header('user-agent'),
  at: new Date(),
})

/** The URL as it was in this profile's message: the stored one, personalised if it has fields. */
async function clickDestination(db: Database, t: TrackingTarget): Promise<string | null> {
  const stored = await findTrackedUrl(db, t.deliveryId, t.linkNo ?? 0)
  if (!stored || !stored.includes('{{')) return stored
  const profile = await getProfile(db, t.profileId)
  const url = profile ? renderText(stored, profile).trim() : ''
  return isTrackable(url) ? url : null
}

/**
 * The endpoints tracking links lead to (SPEC.md "Tracking"): no API token, only a valid signature.
 * A forged or altered token gets 404 and records nothing; a click only ever redirects to a URL stored
 * for the delivery it came from.
 */
export function trackingRoutes(deps: TrackingDeps) {
  const { db, writer } = deps
  const app = new Hono()

  const target = (c: Context, kind: TrackingKind): TrackingTarget => {
    const found = verifyToken(deps.secret, kind, c.req.param('token') ?? '')
    if (!found) throw notFound('tracking link')
    return found
  }

  const record = async (c: Context, t: TrackingTarget) => {
    const recorded = await writer.record(hit(c, t)).catch((err: unknown) => {
      throw err instanceof TrackingBufferFull ? tooManyWaiting() : err
    })
    if (!recorded) throw notFound('message')
  }

  // Opens are the volume: answered at once, stored with the next batch (and before shutdown ends).
  app.get('/o/:token', async (c) => {
    const t = target(c, 'open')
    if (!(await byHeraldUser(deps, c)) && !writer.buffer(hit(c, t))) throw tooManyWaiting()
    return c.body(pixel, 200, { 'content-type': 'image/gif', ...noCache })
  })

  app.get('/c/:token', async (c) => {
    const t = target(c, 'click')
    const url = await clickDestination(db, t)
    if (!url) throw notFound('tracked URL')
    if (!(await byHeraldUser(deps, c))) await record(c, t)
    return c.redirect(url, 302)
  })

  app.get('/u/:token', async (c) => {
    const t = target(c, 'unsubscribe')
    if (!(await sentAddress(db, t.deliveryId, t.profileId))) throw notFound('message')
    return unsubscribePage(
      c,
      'Unsubscribe',
      `<p>Do you want to stop receiving these emails?</p>
         <form method="post"><button type="submit">Unsubscribe</button></form>`,
    )
  })

  // RFC 8058 one-click: mailbox providers POST here; so does the confirmation page above.
  app.post('/u/:token', async (c) => {
    const t = target(c, 'unsubscribe')
    const email = await sentAddress(db, t.deliveryId, t.profileId)
    if (!email) throw notFound('message')
    const at = new Date()
    await applyAddressEvents(
      db,
      [{ email, event: { kind: 'unsubscribe', at: at.getTime() } }],
      deps.quarantine,
    )
    await unsubscribeProfile(db, t.profileId, at)
    await record(c, t)
    // Whoever holds the link sees that it worked, not whose address it was.
    return unsubscribePage(
      c,
      'Unsubscribed',
      `<p>${escapeUTF8(maskedAddress(email))} will receive no more of these emails.</p>`,
    )
  })

  app.get('/m/:token', async (c) => {
    const t = target(c, 'mirror')
    const html = await mirrorPage(deps, t)
    if (html === null) throw notFound('message')
    if (!(await byHeraldUser(deps, c))) await record(c, t)
    return c.html(html, 200, { ...mirrorPageHeaders, ...noCache })
  })

  return app
}
