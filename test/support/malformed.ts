import fc from 'fast-check'

/**
 * Malformed requests, generated from the OpenAPI document: for each route, values its parameters and
 * body schema refuse (wrong types, missing fields, values out of range, bad dates and emails, header
 * injection, unknown fields), plus malformed JSON and bodies that are not JSON. Each request is wrong in
 * one place and right everywhere else, so it goes as deep as the API's checks go.
 */

export interface JsonSchema {
  $ref?: string
  type?: string | string[]
  properties?: Record<string, JsonSchema>
  required?: string[]
  additionalProperties?: boolean | JsonSchema
  items?: JsonSchema
  anyOf?: JsonSchema[]
  oneOf?: JsonSchema[]
  enum?: unknown[]
  minLength?: number
  maxLength?: number
  pattern?: string
  format?: string
  minimum?: number
  maximum?: number
  exclusiveMinimum?: number
  exclusiveMaximum?: number
  minItems?: number
  maxItems?: number
  default?: unknown
}

export interface Parameter {
  name: string
  in: 'path' | 'query'
  schema: JsonSchema
}

export interface Operation {
  method: string
  path: string
  right: string | undefined
  parameters: Parameter[]
  /** The JSON body's schema and its component name (`NoInput` for the empty object of commands). */
  body: { name: string; schema: JsonSchema; required: boolean } | null
}

export interface OpenApiDocument {
  paths: Record<
    string,
    Record<
      string,
      {
        'x-required-right'?: string
        parameters?: Parameter[]
        requestBody?: { required?: boolean; content: Record<string, { schema: JsonSchema }> }
      }
    >
  >
  components: { schemas: Record<string, JsonSchema> }
}

/** Every operation of the document. */
export function operationsOf(doc: OpenApiDocument): Operation[] {
  return Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => {
      const schema = op.requestBody?.content['application/json']?.schema
      const name = schema?.$ref?.split('/').pop() ?? (schema ? 'NoInput' : '')
      return {
        method,
        path,
        right: op['x-required-right'],
        parameters: op.parameters ?? [],
        body: schema ? { name, schema, required: Boolean(op.requestBody?.required) } : null,
      }
    }),
  )
}

export interface HostileRequest {
  method: string
  /** Path and query string, ready to send. */
  url: string
  headers: Record<string, string>
  body?: string | Uint8Array
  /** What is wrong with it, for the report. */
  kind: string
}

// ── Values that no field should take ────────────────────────────────────────────────────────────

/** CR/LF and other control characters where a header, a name or a label goes. */
export const headerInjection = fc
  .tuple(
    fc.string({ maxLength: 8 }),
    fc.constantFrom('\r\n', '\n', '\r', '\u0000', '\t', '\u001b', '\u007f', '\r\n\r\n'),
    fc.constantFrom('Bcc: victim@example.com', 'X-Injected: yes', 'Subject: spoofed', '', '<script>'),
  )
  .map(([a, control, b]) => `${a}${control}${b}`)

export const invalidEmail = fc.oneof(
  fc.constantFrom(
    'nobody',
    'a@',
    '@example.com',
    'a b@example.com',
    'a@b@example.com',
    'ada@example.com\r\nBcc: victim@example.com',
    'ada@exa mple.com',
    '"unterminated@example.com',
    'ada@',
    'ada@.com',
    '<ada@example.com>',
  ),
  fc.string({ minLength: 1, maxLength: 20 }).filter((s) => !s.includes('@')), // '' is no address, not a bad one
)

/** Dates no one could mean (a date-only or a past date would be a date; these are not). */
export const badDate = fc.oneof(
  fc.constantFrom(
    'next tuesday',
    'yesterday',
    '2030-13-01T09:00',
    '2030-02-30T09:00',
    '2030-01-01T25:00',
    '2030-01-01T09:60',
    '31/12/2030 09:00',
    '2030/01/01 09:00',
    'NaN',
    '+275760-09-14T00:00:00Z',
    '2030-01-01T09:00+99:00',
    '2030-01-01T09:00:00Zjunk',
    '0000-00-00T00:00',
  ),
  fc.string({ minLength: 1, maxLength: 16 }).filter((s) => /^[^\d]*$/.test(s.trim()) && s.trim() !== ''),
)

export const badTimeZone = fc.constantFrom(
  'Mars/Olympus',
  'Europe/Atlantis',
  'GMT+99',
  'Not a zone',
  '../../etc/passwd',
  'Europe/Paris\r\n',
)

export const badCron = fc.constantFrom(
  'not a cron',
  '* * *',
  '99 * * * *',
  '* * * * *',
  '0 9 * * * * * *',
  '@never',
)

export const badInterval = fc.constantFrom('1s', '0', 'abc', -5, 1500, 0, '10 minutes please', 1.5)

export const badMessageId = fc.constantFrom(
  '<nope@example.com>',
  'herald.d1.p1',
  '<herald.dX.pY@herald.localhost>',
  '<herald.d999999.p1@herald.localhost>',
)

/** A value of each JSON type outside `allowed`. */
function wrongTypeValue(allowed: Set<string>): fc.Arbitrary<unknown> | null {
  const candidates: fc.Arbitrary<unknown>[] = []
  if (!allowed.has('string')) candidates.push(fc.string({ maxLength: 12 }))
  if (!allowed.has('number') && !allowed.has('integer')) {
    candidates.push(fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true })))
  } else if (!allowed.has('number')) {
    candidates.push(fc.double({ noNaN: true, noDefaultInfinity: true }).filter((n) => !Number.isInteger(n)))
  }
  if (!allowed.has('boolean')) candidates.push(fc.boolean())
  if (!allowed.has('null')) candidates.push(fc.constant(null))
  if (!allowed.has('array')) candidates.push(fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 3 }))
  if (!allowed.has('object'))
    candidates.push(fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }))
  return candidates.length ? fc.oneof(...candidates) : null
}

// ── Mutations of a valid body ───────────────────────────────────────────────────────────────────

type Path = (string | number)[]
interface Mutation {
  at: Path
  /** `remove`: delete the field; otherwise the value to put there. */
  value: unknown
  remove?: boolean
  what: string
}

const remove = Symbol('remove')
export class MalformedBodies {
  constructor(private readonly components: Record<string, JsonSchema>) {}

  resolve(schema: JsonSchema): JsonSchema {
    if (!schema.$ref) return schema
    const name = schema.$ref.split('/').pop()!
    return this.resolve(this.components[name])
  }

  private allowedTypes(schema: JsonSchema): Set<string> {
    const s = this.resolve(schema)
    const types = new Set<string>()
    for (const branch of [...(s.anyOf ?? []), ...(s.oneOf ?? [])])
      for (const t of this.allowedTypes(branch)) types.add(t)
    for (const t of [s.type ?? []].flat()) types.add(t)
    if (s.enum) for (const v of s.enum) types.add(v === null ? 'null' : typeof v)
    if (s.properties || s.additionalProperties !== undefined) types.add('object')
    if (s.items) types.add('array')
    return types
  }

  /** Every way to make `base` (valid for `schema`) invalid in exactly one place. */
  mutations(schema: JsonSchema, base: unknown): fc.Arbitrary<Mutation>[] {
    const found: fc.Arbitrary<Mutation>[] = []
    this.walk(schema, base, [], found)
    return found
  }

  private walk(schema: JsonSchema, value: unknown, at: Path, found: fc.Arbitrary<Mutation>[]): void {
    const s = this.resolve(schema)
    const put = (what: string, arb: fc.Arbitrary<unknown>) =>
      found.push(arb.map((v) => ({ at, value: v, what: `${what} at ${at.join('.') || 'body'}` })))

    const types = this.allowedTypes(s)
    const wrong = types.size ? wrongTypeValue(types) : null
    if (wrong) put('wrong type', wrong)
    this.semantic(at, s, value, put)

    if (typeof s.maxLength === 'number' && types.has('string')) {
      const max = s.maxLength
      put(
        'too long',
        fc.nat({ max: 3 }).map((n) => 'x'.repeat(max + 1 + n)),
      )
    }
    if (s.minLength && s.minLength > 0) put('too short', fc.constant(''))
    if (s.pattern === '^[^\\u0000-\\u001f\\u007f]*$') put('header injection', headerInjection)
    if (s.format === 'email') put('invalid email', invalidEmail)
    if (s.format === 'date-time') put('bad date', badDate)
    if (s.enum) {
      const allowed = s.enum
      put(
        'not one of the values',
        fc.oneof(
          fc.string({ maxLength: 12 }).filter((v) => !allowed.includes(v)),
          fc.constantFrom(
            ...allowed.filter((v): v is string => typeof v === 'string').map((v) => v.toUpperCase()),
          ),
        ),
      )
    }
    if (types.has('integer') || types.has('number')) this.numberBounds(s, types, put)
    if (s.items) this.walkArray(s, value, at, found, put)
    if (s.properties) this.walkObject(s, value, at, found, put)
  }

  private numberBounds(
    s: JsonSchema,
    types: Set<string>,
    put: (w: string, a: fc.Arbitrary<unknown>) => void,
  ) {
    const integer = !types.has('number')
    if (typeof s.minimum === 'number')
      put(
        'below the minimum',
        fc.nat({ max: 1000 }).map((n) => s.minimum! - 1 - n),
      )
    if (typeof s.exclusiveMinimum === 'number')
      put(
        'not above the minimum',
        fc.nat({ max: 1000 }).map((n) => s.exclusiveMinimum! - n),
      )
    if (typeof s.maximum === 'number')
      put(
        'above the maximum',
        fc.nat({ max: 1000 }).map((n) => s.maximum! + 1 + n),
      )
    if (integer)
      put(
        'not an integer',
        fc.integer({ min: 1, max: 1000 }).map((n) => n + 0.5),
      )
  }

  private walkArray(
    s: JsonSchema,
    value: unknown,
    at: Path,
    found: fc.Arbitrary<Mutation>[],
    put: (w: string, a: fc.Arbitrary<unknown>) => void,
  ) {
    const items = Array.isArray(value) ? value : []
    // Arrays of a million ids are refused the same way; sending one costs more than it proves.
    if (typeof s.maxItems === 'number' && s.maxItems <= 20_000) {
      const max = s.maxItems
      const filler = items[0] ?? this.resolve(s.items!).enum?.[0] ?? 1
      put('too many items', fc.constant(Array.from({ length: max + 1 }, () => filler)))
    }
    if (s.minItems && s.minItems > 0) put('no items', fc.constant([]))
    if (items.length) this.walk(s.items!, items[0], [...at, 0], found)
  }

  private walkObject(
    s: JsonSchema,
    value: unknown,
    at: Path,
    found: fc.Arbitrary<Mutation>[],
    put: (w: string, a: fc.Arbitrary<unknown>) => void,
  ) {
    const object = (value && typeof value === 'object' ? value : {}) as Record<string, unknown>
    for (const [name, property] of Object.entries(s.properties!)) {
      const required = s.required?.includes(name) && this.resolve(property).default === undefined
      if (required && name in object)
        found.push(
          fc.constant({
            at: [...at, name],
            value: remove,
            remove: true,
            what: `missing ${[...at, name].join('.')}`,
          }),
        )
      this.walk(property, object[name], [...at, name], found)
    }
    if (s.additionalProperties === false) {
      const known = Object.keys(s.properties!)
      put(
        'unknown field',
        fc
          .tuple(
            fc.oneof(
              fc.string({ minLength: 1, maxLength: 10 }),
              fc.constantFrom('__proto__', 'constructor', 'id', 'status'),
            ),
            fc.jsonValue({ maxDepth: 1 }),
          )
          .filter(([key]) => !known.includes(key))
          .map(([key, v]) => ({ ...object, __unknown__: [key, v] })),
      )
    }
  }

  /** Values the schema cannot express as wrong but the API's rules refuse, by the field's name. */
  private semantic(
    at: Path,
    s: JsonSchema,
    value: unknown,
    put: (w: string, a: fc.Arbitrary<unknown>) => void,
  ) {
    const name = String(at[at.length - 1] ?? '')
    if (['contactDate', 'startsAt', 'endsAt', 'at'].includes(name)) put('bad date', badDate)
    if (name === 'endsAt') put('a past end', fc.constant('2001-01-01T00:00:00Z'))
    if (name === 'timeZone') put('unknown time zone', badTimeZone)
    if (name === 'cron') put('bad cron', badCron)
    if (name === 'every') put('bad interval', badInterval)
    if (name === 'email' && !s.format) put('invalid email', invalidEmail)
    if (name === 'messageId') put('not a Message-ID Herald sent', badMessageId)
    if (name === 'audience') {
      put(
        'an audience that targets no one or by an unknown field',
        fc.constantFrom(
          {},
          { profileIds: [] },
          { filter: [] },
          { filter: [{ field: 'password', op: 'eq', value: 'x' }] },
          { filter: [{ field: 'attributes.a b', op: 'eq', value: 'x' }] },
          { filter: [{ field: 'email', op: 'eq' }] },
          { filter: [{ field: 'email', op: 'in', value: 'x' }] },
          { filter: [{ field: 'email', op: 'eq', value: ['a', 'b'] }] },
        ),
      )
    }
    if (name === 'attributes') {
      put(
        'a bad attribute name or value',
        fc.oneof(
          fc.constantFrom({ 'a b': 1 }, { ['x'.repeat(65)]: 1 }, { é: 1 }, { '': 1 }, { nested: { a: 1 } }),
          fc.constant({ list: Array.from({ length: 101 }, () => 1) }),
        ),
      )
    }
    if (name === 'profiles' && Array.isArray(value) && value.length) {
      put('the same externalId twice', fc.constant([value[0], value[0]]))
    }
    if (name === 'events' && Array.isArray(value) && value.length) {
      const event = value[0] as Record<string, unknown>
      put(
        'an event with both or neither of email and messageId',
        fc.constantFrom(
          [{ ...event, messageId: '<herald.d1.p1@herald.localhost>', email: 'ada@example.com' }],
          [{ type: event.type }],
        ),
      )
    }
  }
}

/** `base` with the mutation applied (a deep copy). */
export function applyMutation(base: unknown, mutation: Mutation): unknown {
  if (mutation.at.length === 0) return unwrapUnknown(mutation.value)
  const copy = structuredClone(base) as Record<string | number, unknown>
  let target = copy
  for (const step of mutation.at.slice(0, -1)) {
    target[step] ??= {}
    target = target[step] as Record<string | number, unknown>
  }
  const last = mutation.at[mutation.at.length - 1]
  if (mutation.remove) delete target[last]
  else target[last] = unwrapUnknown(mutation.value)
  return copy
}

/** An unknown field is carried as `__unknown__: [key, value]` so that `__proto__` survives as a key. */
function unwrapUnknown(value: unknown): unknown {
  if (!value || typeof value !== 'object' || !('__unknown__' in value)) return value
  const { __unknown__: pair, ...rest } = value as { __unknown__: [string, unknown] }
  const out: Record<string, unknown> = { ...rest }
  Object.defineProperty(out, pair[0], {
    value: pair[1],
    enumerable: true,
    writable: true,
    configurable: true,
  })
  return out
}

function parses(raw: string): boolean {
  try {
    JSON.parse(raw)
    return true
  } catch {
    return false
  }
}

/** Bodies that are not JSON at all, made from a valid one. */
export function malformedJson(base: unknown): fc.Arbitrary<string | Uint8Array> {
  const valid = JSON.stringify(base)
  const derived = [
    `${valid} }`,
    `${valid}x`,
    `${valid}${valid}`,
    valid.replace(/"/g, "'"),
    valid.replace(/"(\w+)":/g, '$1:'),
    `${valid.slice(0, -1)},}`,
    `/* comment */${valid}`,
  ].filter((raw) => !parses(raw)) // `{}` with single quotes is still `{}`
  return fc.oneof(
    fc.integer({ min: 1, max: Math.max(1, valid.length - 1) }).map((n) => valid.slice(0, n)),
    fc.constantFrom(
      ...derived,
      '{"expectedMessages": NaN}',
      '{"expectedMessages": 1e400}',
      '{"label": undefined}',
      ' ',
      '[',
      '['.repeat(100_000),
      '{"a":'.repeat(50_000),
      'null',
      '[]',
      '"just a string"',
      '42',
      'true',
      '\u0000',
    ),
    // Bytes that are not UTF-8, where JSON needs its structure.
    fc.constant(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(valid.slice(1))])),
  )
}

export const wrongContentType = fc.constantFrom(
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/xml',
  'text/json',
  'application/jsonx',
  'application/octet-stream',
  '',
)

/** Path parameter values that are not the id of anything: malformed, out of range, or unknown. */
export function badPathValue(schema: JsonSchema): fc.Arbitrary<string> {
  // Canonical digits could name a real row and run a command on it; everything else must be refused.
  const junk = fc.string({ minLength: 1, maxLength: 12 }).filter((v) => !/^[1-9][0-9]*$/.test(v))
  if (schema.enum) {
    const allowed = schema.enum
    return fc.oneof(
      junk.filter((v) => !allowed.includes(v)),
      fc.constantFrom('SENDING-LOGS', 'passwords', '..'),
    )
  }
  if (schema.type === 'integer') {
    return fc.oneof(
      junk,
      fc.constantFrom(
        '-1',
        '0',
        '1.5',
        '99999999999',
        'NaN',
        'Infinity',
        "1'--",
        '1 OR 1=1',
        '%00',
        '٣',
        '2147483000',
        // Other spellings of 1, an id that exists: a lenient parser would run the command on it.
        '1.',
        '1e0',
        '0x1',
        ' 1',
        '01',
        '+1',
        '１',
      ),
    )
  }
  return fc.oneof(junk, invalidEmail, fc.constantFrom('unknown@example.com', 'x'.repeat(400)))
}

/** Query values their parameter refuses; none for free text, which any value is. */
export function badQueryValue(schema: JsonSchema): fc.Arbitrary<string> | null {
  if (schema.enum) {
    const allowed = schema.enum
    return fc.oneof(
      fc.string({ maxLength: 10 }).filter((v) => !allowed.includes(v)),
      fc.constantFrom(...allowed.map((v) => String(v).toUpperCase()).filter((v) => !allowed.includes(v))),
    )
  }
  if (schema.type === 'integer') {
    const below =
      schema.minimum ?? (schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum : undefined)
    const values = ['abc', '1.5', 'NaN', '-', 'Infinity', '%', '1;DROP TABLE profile']
    values.push('1.', '1e0', '0x1', ' 1', '01', '+1', '１', '')
    if (below !== undefined) values.push(String(below - 1), '-5')
    if (schema.maximum !== undefined) values.push(String(schema.maximum + 1), '99999999999999')
    return fc.constantFrom(...values)
  }
  if (typeof schema.maxLength === 'number') return fc.constant('x'.repeat(schema.maxLength + 1))
  return null
}

/** Path segments are percent-encoded, dots too, so `..` stays a value rather than a step up. */
export function pathSegment(value: string): string {
  return encodeURIComponent(value).replace(/\./g, '%2E')
}
