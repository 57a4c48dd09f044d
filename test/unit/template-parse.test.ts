import fc from 'fast-check'
import Mustache from 'mustache'
import { parseTemplate } from '../../domain/template-parse'

/** Mustache's own parse, uncached, or its error message. */
function mustacheParse(template: string): Mustache.TemplateSpans | string {
  try {
    return new Mustache.Writer().parse(template)
  } catch (err) {
    return (err as Error).message
  }
}

function ours(template: string): Mustache.TemplateSpans | string {
  try {
    return parseTemplate(template)
  } catch (err) {
    return (err as Error).message
  }
}

/** A partial's indentation, which only a partial's text uses: Herald renders no partials. */
function withoutIndentation(tokens: Mustache.TemplateSpans | string): unknown {
  if (typeof tokens === 'string') return tokens
  return tokens.map((token) =>
    token[0] === '>'
      ? [...token.slice(0, 4), 'indentation', ...token.slice(5)]
      : Array.isArray(token[4])
        ? [...token.slice(0, 4), withoutIndentation(token[4]), ...token.slice(5)]
        : token,
  )
}

/** Pieces templates are made of: text of every kind, each tag, broken tags, the marker characters. */
const piece = fc.constantFrom(
  'a',
  ' ',
  '  ',
  '\t',
  '\n',
  '\r\n',
  'Hello there, friend',
  '        ',
  '   \t   \t  ',
  'x'.repeat(20),
  '{{name}}',
  '{{ name }}',
  '{{{name}}}',
  '{{& name}}',
  '{{#section}}',
  '{{/section}}',
  '{{^section}}',
  '{{#list}}',
  '{{/list}}',
  '{{! a comment }}',
  '{{> partial}}',
  '{{',
  '}}',
  '{',
  '}',
  '\u2028',
  '\uE000',
  '\u2001 ',
  '<a href="https://example.com/{{name}}">link</a>',
)

describe('parsing templates without a token per character', () => {
  test('gives the tokens Mustache gives, or its error, for any template', () => {
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 40 }), (pieces) => {
        const template = pieces.join('')
        expect(withoutIndentation(ours(template))).toEqual(withoutIndentation(mustacheParse(template)))
      }),
      { numRuns: 3000 },
    )
  })

  test('renders as Mustache renders', () => {
    const views = [
      { name: 'Ada', section: true, list: [{ name: 'a' }, { name: 'b' }] },
      { name: '<b>', section: false, list: [] },
    ]
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 40 }), (pieces) => {
        const template = pieces.join('')
        fc.pre(typeof mustacheParse(template) !== 'string')
        const writer = new Mustache.Writer()
        for (const view of views)
          expect(writer.renderTokens(parseTemplate(template) as string[][], new Mustache.Context(view))).toBe(
            writer.render(template, view),
          )
      }),
      { numRuns: 1000 },
    )
  })

  test('a set-delimiter tag is refused', () => {
    expect(() => parseTemplate('Hi {{=<% %>=}} <% name %>')).toThrow(/set-delimiter tags/)
  })

  test('a million characters of text cost no token each', () => {
    const template = `${'Some text, '.repeat(90_000)}{{name}}\n${' '.repeat(10_000)}`
    const tokens = parseTemplate(template)
    expect(tokens.map((t) => t[0])).toEqual(['text', 'name', 'text'])
    expect(tokens[0][1]).toHaveLength(990_000)
  })
})
