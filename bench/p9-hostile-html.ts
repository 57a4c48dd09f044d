import { Tokenizer, type TokenizerCallbacks } from 'htmlparser2'
import { compileTrackedHtml } from '../domain/tracked-links'
import { templateProblems } from '../domain/personalisation'
import { compileContent, composeMessage, renderMessageHtml, type MessageContent } from '../mail/compose'
import { sanitizeMessageHtml } from '../mail/mirror-page'
import { TrackingUrls } from '../mail/tracking-urls'

export interface HostileHtmlShape {
  shape: string
  characters: number
  /** what preparation does with it: the template checked (parsed), the links found */
  prepareMs: number
  /** what each batch does once: the links taken out, the templates compiled */
  batchMs: number
  /** one message composed from the batch's content */
  renderMs: number
  /** prepare + batch + render */
  totalMs: number
  /** the mirror page's HTML: rendered and sanitised */
  mirrorMs: number
  /** the same characters through the HTML tokenizer alone, reporting nothing */
  tokenizerMs: number
  /** time per character at 1,000,000 characters over that at 250,000 (1 when linear) */
  growth: number
}

export interface HostileHtmlResult {
  shapes: HostileHtmlShape[]
  /** the slowest link-tracking shape (all but many fields) */
  worstLinks: HostileHtmlShape
  /** a body of personalisation fields: Mustache's own cost per tag */
  fields: HostileHtmlShape
}

/** Bodies that made the old link-finding expression backtrack, plus many real links and many fields. */
const shapes: Record<string, string> = {
  'anchors never closed': '<a ',
  'anchors with tabs': '<a\t',
  'href never valued': '<a  href',
  'attributes never closed': '<a x',
  'many links': '<a href="https://example.com/offer?x=1&amp;y=2">offer</a> ',
  'many fields': '<p>{{firstName}} {{attributes.plan}}</p>',
}

const tail = '<a href="https://example.com/real">real</a>{{firstName}}'
/** `characters` characters: whole units, padded with spaces, then a real link and a field. */
function body(unit: string, characters: number): string {
  const units = unit.repeat(Math.floor((characters - tail.length) / unit.length))
  return units.padEnd(characters - tail.length) + tail
}

const recipient = {
  profileId: 7,
  email: 'ada@example.com',
  firstName: 'Ada',
  lastName: null,
  timeZone: null,
  attributes: { plan: 'pro' },
}

const ignore = () => undefined
const nothing: TokenizerCallbacks = {
  onattribdata: ignore,
  onattribentity: ignore,
  onattribend: ignore,
  onattribname: ignore,
  oncdata: ignore,
  onclosetag: ignore,
  oncomment: ignore,
  ondeclaration: ignore,
  onend: ignore,
  onopentagend: ignore,
  onopentagname: ignore,
  onprocessinginstruction: ignore,
  onselfclosingtag: ignore,
  ontext: ignore,
  ontextentity: ignore,
}

let variant = 0

/** The median of `runs` timings of `fn`, in ms. */
function median(runs: number, fn: () => unknown): number {
  const times: number[] = []
  for (let i = 0; i < runs; i++) {
    const started = performance.now()
    fn()
    times.push(performance.now() - started)
  }
  times.sort((a, b) => a - b)
  return times[Math.floor(runs / 2)]
}

function measure(unit: string, characters: number, runs: number) {
  const html = body(unit, characters)
  const content = (body = html): MessageContent => ({
    deliveryId: 1,
    subject: 'Hello {{firstName}}',
    html: body,
    text: null,
    from: 'herald@example.com',
    tracking: {
      urls: new TrackingUrls('bench-secret', 'https://herald.example.com', 1),
      trackedHtml: compileTrackedHtml(body),
    },
  })
  const prepared = compileContent(content())
  // Each run gets a template of its own, as a new delivery would: none is cached yet.
  const fresh = () => `${html}<!-- ${++variant} -->`
  return {
    prepareMs: median(runs, () => {
      const template = fresh()
      templateProblems(template)
      compileTrackedHtml(template)
    }),
    batchMs: median(runs, () => compileContent(content(fresh()))),
    renderMs: median(runs, () => composeMessage(prepared, recipient, 'herald.example.com')),
    mirrorMs: median(runs, () =>
      sanitizeMessageHtml(renderMessageHtml(prepared, recipient, { pixel: false })),
    ),
    tokenizerMs: median(runs, () => {
      const tokenizer = new Tokenizer({ decodeEntities: false }, nothing)
      tokenizer.write(html)
      tokenizer.end()
    }),
  }
}

/** P9: a 1,000,000-character hostile body prepared and rendered, per shape, in this process. */
export function hostileHtmlTiming(characters = 1_000_000, runs = 5): HostileHtmlResult {
  const results: HostileHtmlShape[] = []
  for (const [shape, unit] of Object.entries(shapes)) {
    measure(unit, characters / 4, 2) // warm up
    const total = (r: ReturnType<typeof measure>) => r.prepareMs + r.batchMs + r.renderMs
    const quarter = measure(unit, characters / 4, runs)
    const whole = measure(unit, characters, runs)
    const round = (ms: number) => Math.round(ms * 10) / 10
    results.push({
      shape,
      characters,
      prepareMs: round(whole.prepareMs),
      batchMs: round(whole.batchMs),
      renderMs: round(whole.renderMs),
      totalMs: round(total(whole)),
      mirrorMs: round(whole.mirrorMs),
      tokenizerMs: round(whole.tokenizerMs),
      growth: Math.round((total(whole) / characters / (total(quarter) / (characters / 4))) * 100) / 100,
    })
  }
  const links = results.filter((r) => r.shape !== 'many fields')
  return {
    shapes: results,
    worstLinks: links.reduce((a, b) => (a.totalMs >= b.totalMs ? a : b)),
    fields: results.find((r) => r.shape === 'many fields')!,
  }
}
