import { categorise, failureTypeOf, enhancedStatusOf } from '../../domain/failure-categories'
import { classifySmtpError } from '../../domain/sending'

describe('failure categories', () => {
  test.each([
    [550, '550 5.1.1 <a@example.com>: Recipient address rejected', 'user_unknown'],
    [550, '550 5.1.2 bad destination system address', 'invalid_domain'],
    [556, '556 5.1.10 Recipient address has null MX', 'invalid_domain'],
    [452, '452 4.2.2 mailbox full', 'mailbox_full'],
    [552, '552 5.2.2 over quota', 'mailbox_full'],
    [550, '550 5.2.1 mailbox disabled', 'account_disabled'],
    [554, '554 5.7.1 Service unavailable; client host blocked', 'refused'],
    [451, '451 4.4.1 no answer from host', 'unreachable'],
    [550, '550 5.4.4 unable to route', 'invalid_domain'],
    [451, '451 4.3.0 try later', 'other'],
    [550, '550 no such user', 'user_unknown'],
    [552, '552 requested action aborted', 'mailbox_full'],
    [550, '550 rejected by policy', 'refused'],
    [500, '500 syntax error', 'other'],
  ])('%i "%s" is %s', (code, reply, category) => {
    expect(categorise(code, reply)).toBe(category)
  })

  test('the enhanced status code is read as class and subject.detail, not from a version or an address', () => {
    expect(enhancedStatusOf('550 5.1.1 user unknown')).toEqual({ cls: 5, subjectDetail: '1.1' })
    expect(enhancedStatusOf('smtp 1.2.3 says hello')).toBeNull()
    expect(enhancedStatusOf('host 10.4.4.4 refused')).toBeNull()
  })

  test('a category decides the type; "reply" categories follow the reply class', () => {
    expect(failureTypeOf('user_unknown', 450)).toBe('hard')
    expect(failureTypeOf('mailbox_full', 552)).toBe('soft')
    expect(failureTypeOf('refused', 554)).toBe('hard')
    expect(failureTypeOf('refused', 450)).toBe('soft')
    expect(failureTypeOf('ignored', 550)).toBe('ignored')
  })

  test('an SMTP reply carries its category and the type it gives', () => {
    const reply = (responseCode: number, response: string) =>
      classifySmtpError({ responseCode, response, command: 'RCPT TO' })
    expect(reply(550, '550 5.1.1 unknown user')).toMatchObject({ kind: 'hard', category: 'user_unknown' })
    expect(reply(552, '552 5.2.2 mailbox full')).toMatchObject({ kind: 'soft', category: 'mailbox_full' })
    expect(reply(550, '550 out of office')).toMatchObject({ kind: 'hard', category: 'other' })
  })
})
