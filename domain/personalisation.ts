import { LRUCache } from 'lru-cache'
import Mustache from 'mustache'
import { parseTemplate } from './template-parse'

/**
 * Personalisation fields (`{{firstName}}`, `{{attributes.plan}}`) rendered with Mustache.
 * HTML bodies escape values; subjects and text bodies do not.
 */

export interface PersonalisationProfile {
  email: string | null
  firstName: string | null
  lastName: string | null
  timeZone: string | null
  attributes: Record<string, unknown>
}

/** A template parsed once, to render many times: a batch compiles its delivery's templates once. */
export interface Template {
  readonly source: string
  readonly tokens: Mustache.TemplateSpans
}

/**
 * Parsed templates are kept for the next batch or mirror page of the same delivery, within bounds: at
 * most `entries` templates and `characters` characters of template in all, the least recently used
 * dropped first. A parsed template takes up to about 11 times its size (a 1,000,000-character body of
 * fields: 10.6 MB), so the cache holds at most about 23 MB; Mustache's own cache kept every template
 * for the life of the process.
 */
export const templateCacheLimits = { entries: 16, characters: 2_100_000 } as const

const parsedTemplates = new LRUCache<string, Mustache.TemplateSpans>({
  max: templateCacheLimits.entries,
  maxSize: templateCacheLimits.characters,
  sizeCalculation: (_, source) => Math.max(source.length, 1),
})

/** How many parsed templates are kept, and their characters: never more than `templateCacheLimits`. */
export function templateCacheUse(): { entries: number; characters: number } {
  return { entries: parsedTemplates.size, characters: parsedTemplates.calculatedSize }
}

/** Whether this template is kept parsed. */
export function isTemplateCached(source: string): boolean {
  return parsedTemplates.has(source)
}

const profileFields = ['email', 'firstName', 'lastName', 'timeZone']

export function compileTemplate(source: string): Template {
  let tokens = parsedTemplates.get(source)
  if (!tokens) parsedTemplates.set(source, (tokens = parseTemplate(source)))
  return { source, tokens }
}

/** Every field name a template refers to, sections included. */
export function templateFields(template: string): string[] {
  const names = new Set<string>()
  const walk = (tokens: Mustache.TemplateSpans) => {
    for (const token of tokens) {
      const [kind, value] = token
      if (kind === 'name' || kind === '&' || kind === '#' || kind === '^') names.add(String(value))
      const nested = token[4]
      if (Array.isArray(nested)) walk(nested as Mustache.TemplateSpans)
    }
  }
  walk(compileTemplate(template).tokens)
  return [...names]
}

export function isKnownField(name: string): boolean {
  return profileFields.includes(name) || /^attributes\.[A-Za-z0-9_-]+$/.test(name)
}

/** Problems that make a template unusable: syntax errors and unknown fields. */
export function templateProblems(template: string): string[] {
  try {
    return templateFields(template)
      .filter((name) => !isKnownField(name))
      .map((name) => `unknown personalisation field {{${name}}}`)
  } catch (err) {
    return [`template syntax error: ${(err as Error).message}`]
  }
}

function view(profile: PersonalisationProfile) {
  return {
    email: profile.email ?? '',
    firstName: profile.firstName ?? '',
    lastName: profile.lastName ?? '',
    timeZone: profile.timeZone ?? '',
    attributes: profile.attributes ?? {},
  }
}

const writer = new Mustache.Writer()
const noEscape = { escape: (text: string) => text }

function render(template: Template | string, profile: PersonalisationProfile, escape: boolean): string {
  const { source, tokens } = typeof template === 'string' ? compileTemplate(template) : template
  const context = new Mustache.Context(view(profile))
  return writer.renderTokens(tokens as string[][], context, undefined, source, escape ? undefined : noEscape)
}

export function renderText(template: Template | string, profile: PersonalisationProfile): string {
  return render(template, profile, false)
}

export function renderHtml(template: Template | string, profile: PersonalisationProfile): string {
  return render(template, profile, true)
}

/** A rendered header must stay one line whatever a profile's attributes contain. */
export function renderHeader(template: Template | string, profile: PersonalisationProfile): string {
  return renderText(template, profile).replace(/[\r\n]+/g, ' ')
}
