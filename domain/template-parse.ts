import Mustache from 'mustache'

/**
 * Mustache's parser makes a token of every character of text before joining them again: about 160 bytes
 * of heap per character, so 1,000,000 characters of text took 2 s and 156 MB — more than a worker's
 * heap. `parseTemplate` gives Mustache's own parser the template with its runs of text stood in for by
 * short markers, then puts the text back: Mustache's tokens, positions included, at a cost
 * proportional to the tags rather than to every character. (A partial's indentation is left
 * as the compact template gives it: Herald renders no partials.)
 *
 * Only Mustache's default delimiters are taken: a set-delimiter tag (`{{=<% %>=}}`) is refused.
 */

// Herald keeps parsed templates in its own bounded cache (domain/personalisation): Mustache keeps none.
Mustache.templateCache = undefined

/** Text and markers: a non-space marker stands for a run with text, a space marker for blanks only. */
const textMarker = { open: '\uE000', close: '\uE001', digitBase: 0xe100, radix: 256 }
const blankMarker = { open: '\u2028', close: '\u2029', digitBase: 0x2000, radix: 10 }
const markerCharacters = /[\uE000-\uE1FF\u2000-\u2009\u2028\u2029]/
const markers = /\uE000([\uE100-\uE1FF]+)\uE001|\u2028([\u2000-\u2009]+)\u2029/g
/** Shorter runs are left as they are (cheap for Mustache), unless they hold a marker character. */
const shortestRun = 8

interface Shift {
  /** where a marker starts or ends in the compact template, and the same place in the template */
  compact: number
  original: number
}

/** The template with some runs of text replaced by markers; everything else is copied as it is. */
class Compactor {
  readonly runs: string[] = []
  readonly shifts: Shift[] = [{ compact: 0, original: 0 }]
  private readonly parts: string[] = []
  private length = 0
  /** Where the template text not yet in `parts` starts. */
  private copied = 0

  constructor(private readonly template: string) {}

  get compact(): string {
    return this.parts.join('') + this.template.slice(this.copied)
  }

  /**
   * Text between tags. Mustache looks at its lines only to drop the blanks and line end of a line that
   * holds nothing but a section tag: the text on the lines of tags is marked per line (with text, or
   * blank), and the whole lines between them as one run.
   */
  text(from: number, to: number): void {
    // Searched within the text only: a search past it would cost the rest of the template per tag.
    const text = this.template.slice(from, to)
    const first = text.indexOf('\n')
    if (first < 0) return this.run(from, to, false)
    const last = text.lastIndexOf('\n')
    this.run(from, from + first, false)
    if (last > first) this.run(from + first + 1, from + last, true)
    this.run(from + last + 1, to, false)
  }

  /** A run of text, marked when long enough to matter; `wholeLines` are on no tag's line. */
  private run(from: number, to: number, wholeLines: boolean): void {
    const run = this.template.slice(from, to)
    if (run.length < shortestRun && !markerCharacters.test(run)) return
    this.mark(run, from, to, wholeLines || /\S/.test(run) ? textMarker : blankMarker)
  }

  private mark(run: string, from: number, to: number, kind: typeof textMarker): void {
    let digits = ''
    for (let n = this.runs.length; ; n = Math.floor(n / kind.radix)) {
      digits = String.fromCharCode(kind.digitBase + (n % kind.radix)) + digits
      if (n < kind.radix) break
    }
    const marker = kind.open + digits + kind.close
    this.runs.push(run)
    this.parts.push(this.template.slice(this.copied, from))
    this.length += from - this.copied
    this.shifts.push({ compact: this.length, original: from })
    this.parts.push(marker)
    this.length += marker.length
    this.shifts.push({ compact: this.length, original: to })
    this.copied = to
  }

  /** The template position of a compact one (never inside a marker: tokens start and end between them). */
  original(compact: number): number {
    let low = 0
    let high = this.shifts.length - 1
    while (low < high) {
      const middle = (low + high + 1) >> 1
      if (this.shifts[middle].compact <= compact) low = middle
      else high = middle - 1
    }
    const shift = this.shifts[low]
    return shift.original + (compact - shift.compact)
  }
}

/** Splits the template into text and tags exactly as Mustache's scanner does with `{{` and `}}`. */
function compact(template: string): Compactor {
  const compactor = new Compactor(template)
  const whitespace = /\s*/y
  for (let position = 0; position < template.length;) {
    const open = template.indexOf('{{', position)
    if (open < 0) {
      compactor.text(position, template.length)
      break
    }
    compactor.text(position, open)
    whitespace.lastIndex = open + 2
    whitespace.exec(template)
    const type = template[whitespace.lastIndex]
    if (type === '=') throw new Error('set-delimiter tags ({{=…=}}) are not supported')
    const close =
      type === '{'
        ? template.indexOf('}}}', whitespace.lastIndex + 1)
        : template.indexOf('}}', whitespace.lastIndex)
    // Unclosed: the rest goes as it is, for Mustache to report (after any error before it).
    const end = close < 0 ? template.length : close + (type === '{' ? 3 : 2)
    position = end
  }
  return compactor
}

function restore(tokens: Mustache.TemplateSpans, compactor: Compactor): void {
  for (const token of tokens) {
    if (token[0] === 'text' && /[\uE000\u2028]/.test(token[1]))
      token[1] = token[1].replace(markers, (_, text?: string, blank?: string) => {
        const [digits, kind] = text ? [text, textMarker] : [blank!, blankMarker]
        let n = 0
        for (const digit of digits) n = n * kind.radix + (digit.charCodeAt(0) - kind.digitBase)
        return compactor.runs[n]
      })
    token[2] = compactor.original(token[2])
    token[3] = compactor.original(token[3])
    if (Array.isArray(token[4])) {
      restore(token[4], compactor)
      token[5] = compactor.original(token[5] as number)
    }
  }
}

/** The tokens Mustache would parse from `template` (with `{{ }}`), without a token per character. */
export function parseTemplate(template: string): Mustache.TemplateSpans {
  if (!template) return []
  const compactor = compact(template)
  let tokens: Mustache.TemplateSpans
  try {
    tokens = Mustache.parse(compactor.compact)
  } catch (err) {
    const message = (err as Error).message.replace(/ at (\d+)$/, (_, at: string) => {
      return ` at ${compactor.original(Number(at))}`
    })
    throw new Error(message)
  }
  if (compactor.runs.length) restore(tokens, compactor)
  return tokens
}
