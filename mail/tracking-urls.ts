import { signToken, type TrackingKind } from '../domain/tracking-token'

/** Where the tracking endpoints live: outside /api, since they take a signature and no API token. */
export const trackingPaths: Record<TrackingKind, string> = {
  open: '/t/o',
  click: '/t/c',
  unsubscribe: '/t/u',
  mirror: '/t/m',
}

/** The signed URLs of one delivery's messages. */
export class TrackingUrls {
  private readonly base: string

  constructor(
    private readonly secret: string,
    publicUrl: string,
    private readonly deliveryId: number,
  ) {
    this.base = publicUrl.replace(/\/+$/, '')
  }

  url(kind: TrackingKind, profileId: number, linkNo?: number): string {
    const token = signToken(this.secret, { kind, deliveryId: this.deliveryId, profileId, linkNo })
    return `${this.base}${trackingPaths[kind]}/${token}`
  }

  /** One message's URLs, each signed once however often the message shows it. */
  forProfile(profileId: number): ProfileUrls {
    const signed = new Map<string, string>()
    return (kind, linkNo) => {
      const key = `${kind}${linkNo ?? ''}`
      let url = signed.get(key)
      if (url === undefined) signed.set(key, (url = this.url(kind, profileId, linkNo)))
      return url
    }
  }
}

export type ProfileUrls = (kind: TrackingKind, linkNo?: number) => string
