import Mustache from 'mustache'

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

const profileFields = ['email', 'firstName', 'lastName', 'timeZone']

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
  walk(Mustache.parse(template))
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

const noEscape = { escape: (text: string) => text }

export function renderText(template: string, profile: PersonalisationProfile): string {
  return Mustache.render(template, view(profile), undefined, noEscape)
}

export function renderHtml(template: string, profile: PersonalisationProfile): string {
  return Mustache.render(template, view(profile))
}

/** A rendered header must stay one line whatever a profile's attributes contain. */
export function renderHeader(template: string, profile: PersonalisationProfile): string {
  return renderText(template, profile).replace(/[\r\n]+/g, ' ')
}
