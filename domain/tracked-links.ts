import { decodeHTML } from 'entities'

/**
 * Link tracking, prepared once per delivery: the HTML template's links are numbered and taken out of it,
 * leaving a placeholder that each message fills with its own signed click URL. A click can then only
 * lead to a URL stored for the delivery (no open redirect), and the send path does one string
 * replacement per message instead of parsing HTML.
 */

export interface TrackedLink {
  /** From 1, in order of first appearance; the same URL twice is one link. */
  linkNo: number
  /** The href as written in the template (personalisation fields included), entities decoded. */
  url: string
}

export interface TrackedHtml {
  /** The template with every tracked href replaced by a placeholder. */
  template: string
  links: TrackedLink[]
}

const anchorHref = /(<a\b[^>]*?\shref\s*=\s*)(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))/gi
const placeholder = (linkNo: number) => `%%herald-link-${linkNo}%%`
const placeholders = /%%herald-link-(\d+)%%/g

/** Only web links are tracked; mailto:, tel:, anchors and the like are left as they are. */
export function isTrackable(url: string): boolean {
  return /^https?:\/\/[^\s]+$/i.test(url)
}

export function compileTrackedHtml(template: string): TrackedHtml {
  const links: TrackedLink[] = []
  const byUrl = new Map<string, number>()
  const rewritten = template.replace(
    anchorHref,
    (whole, start: string, dq?: string, sq?: string, bare?: string) => {
      const url = decodeHTML(dq ?? sq ?? bare ?? '').trim()
      if (!isTrackable(url)) return whole
      let linkNo = byUrl.get(url)
      if (linkNo === undefined) {
        linkNo = links.length + 1
        byUrl.set(url, linkNo)
        links.push({ linkNo, url })
      }
      return `${start}"${placeholder(linkNo)}"`
    },
  )
  return { template: rewritten, links }
}

/** Puts each message's click URLs where the placeholders are. */
export function fillTrackedLinks(html: string, clickUrl: (linkNo: number) => string): string {
  return html.replace(placeholders, (_, n: string) => clickUrl(Number(n)))
}

/** Inserts `snippet` just before `</body>`, or at the end of a fragment. */
export function appendToBody(html: string, snippet: string): string {
  const end = html.search(/<\/body\s*>/i)
  return end < 0 ? html + snippet : html.slice(0, end) + snippet + html.slice(end)
}
