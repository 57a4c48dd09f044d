import { decodeHTML } from 'entities'
import { QuoteType, Tokenizer, type TokenizerCallbacks } from 'htmlparser2'

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

/** Where an anchor's href value sits in the template: `start`–`end` includes its quotes, `raw` does not. */
interface HrefValue {
  start: number
  end: number
  raw: string
}

const placeholder = (linkNo: number) => `%%herald-link-${linkNo}%%`
const placeholders = /%%herald-link-(\d+)%%/g

/** Only web links are tracked; mailto:, tel:, anchors and the like are left as they are. */
export function isTrackable(url: string): boolean {
  return /^https?:\/\/[^\s]+$/i.test(url)
}

const ignore = () => undefined

/**
 * The href of every complete `<a>` start tag (the first one, as browsers read it), found by an HTML
 * tokenizer in one pass: time linear in the size of the HTML whatever it holds, and comments, scripts,
 * attribute values containing ">" and unfinished tags are read as a browser reads them.
 */
function anchorHrefs(html: string): HrefValue[] {
  const found: HrefValue[] = []
  let inAnchor = false
  let isHref = false
  let valueStart = -1
  let href: HrefValue | null = null
  const tagEnd = () => {
    if (inAnchor && href) found.push(href)
    inAnchor = false
  }
  const callbacks: TokenizerCallbacks = {
    onopentagname(start, end) {
      inAnchor = end - start === 1 && (html[start] === 'a' || html[start] === 'A')
      href = null
    },
    onattribname(start, end) {
      isHref = inAnchor && !href && end - start === 4 && html.slice(start, end).toLowerCase() === 'href'
      valueStart = -1
    },
    onattribdata(start) {
      if (valueStart < 0) valueStart = start
    },
    onattribend(quote, end) {
      if (!isHref || quote === QuoteType.NoValue || valueStart < 0) return
      const quoted = quote !== QuoteType.Unquoted
      href = {
        start: quoted ? valueStart - 1 : valueStart,
        end,
        raw: html.slice(valueStart, quoted ? end - 1 : end),
      }
      isHref = false
    },
    onopentagend: tagEnd,
    onselfclosingtag: tagEnd,
    onattribentity: ignore,
    oncdata: ignore,
    onclosetag: ignore,
    oncomment: ignore,
    ondeclaration: ignore,
    onend: ignore,
    onprocessinginstruction: ignore,
    ontext: ignore,
    ontextentity: ignore,
  }
  const tokenizer = new Tokenizer({ decodeEntities: false }, callbacks)
  tokenizer.write(html)
  tokenizer.end()
  return found
}

export function compileTrackedHtml(template: string): TrackedHtml {
  const links: TrackedLink[] = []
  const byUrl = new Map<string, number>()
  const pieces: string[] = []
  let copied = 0
  for (const href of anchorHrefs(template)) {
    const url = decodeHTML(href.raw).trim()
    if (!isTrackable(url)) continue
    let linkNo = byUrl.get(url)
    if (linkNo === undefined) {
      linkNo = links.length + 1
      byUrl.set(url, linkNo)
      links.push({ linkNo, url })
    }
    pieces.push(template.slice(copied, href.start), `"${placeholder(linkNo)}"`)
    copied = href.end
  }
  pieces.push(template.slice(copied))
  return { template: pieces.join(''), links }
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
