import { renderHeader, renderHtml, renderText, templateProblems } from '../../domain/personalisation'

const profile = {
  email: 'ada@example.com',
  firstName: 'Ada',
  lastName: '<Lovelace>',
  timeZone: 'Europe/London',
  attributes: { plan: 'pro' },
}

describe('personalisation', () => {
  test('fills profile fields and attributes', () => {
    expect(renderText('Hi {{firstName}} ({{attributes.plan}})', profile)).toBe('Hi Ada (pro)')
  })

  test('escapes values in HTML bodies, not in text', () => {
    expect(renderHtml('<p>{{lastName}}</p>', profile)).toBe('<p>&lt;Lovelace&gt;</p>')
    expect(renderText('{{lastName}}', profile)).toBe('<Lovelace>')
  })

  test('a header stays on one line whatever an attribute holds', () => {
    expect(
      renderHeader('Hi {{attributes.x}}', { ...profile, attributes: { x: 'a\r\nBcc: eve@example.com' } }),
    ).toBe('Hi a Bcc: eve@example.com')
  })

  test('unknown fields and broken templates are reported', () => {
    expect(templateProblems('Hi {{nickname}} {{firstName}}')).toEqual([
      'unknown personalisation field {{nickname}}',
    ])
    expect(templateProblems('Hi {{#firstName}}')[0]).toMatch(/template syntax error/)
    expect(templateProblems('{{attributes.plan}} {{email}}')).toEqual([])
  })
})
