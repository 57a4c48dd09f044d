import { classifySmtpError } from '../../domain/sending'
import { messageIdFor, parseMessageId } from '../../domain/message-id'

describe('SMTP outcomes', () => {
  test('5xx is a hard failure, 4xx a soft one', () => {
    expect(
      classifySmtpError({ responseCode: 550, response: '550 5.1.1 unknown user', command: 'RCPT TO' }),
    ).toMatchObject({ kind: 'hard', code: 550 })
    expect(
      classifySmtpError({ responseCode: 452, response: '452 mailbox full', command: 'RCPT TO' }),
    ).toMatchObject({ kind: 'soft', code: 452 })
  })

  test('a refused connection or greeting means the message never left', () => {
    expect(
      classifySmtpError({ code: 'ESOCKET', command: 'CONN', message: 'connect ECONNREFUSED 127.0.0.1:25' })
        .kind,
    ).toBe('unreachable')
    expect(
      classifySmtpError({
        code: 'EPROTOCOL',
        command: 'CONN',
        responseCode: 421,
        message: 'Invalid greeting',
      }).kind,
    ).toBe('unreachable')
    expect(classifySmtpError({ code: 'EAUTH', command: 'AUTH PLAIN', responseCode: 535 }).kind).toBe(
      'unreachable',
    )
  })

  test('a connection that broke without a reply leaves the message in doubt', () => {
    expect(
      classifySmtpError({ code: 'ECONNECTION', command: 'CONN', message: 'Connection closed unexpectedly' })
        .kind,
    ).toBe('unknown')
    expect(classifySmtpError({ code: 'ETIMEDOUT', command: 'DATA', message: 'Timeout' }).kind).toBe('unknown')
  })
})

describe('Message-ID', () => {
  test('is the same for every send of one message, and reads back', () => {
    const id = messageIdFor(12, 345, 'mail.example.com')
    expect(id).toBe('<herald.d12.p345@mail.example.com>')
    expect(messageIdFor(12, 345, 'mail.example.com')).toBe(id)
    expect(parseMessageId(id)).toEqual({ deliveryId: 12, profileId: 345 })
    expect(parseMessageId('<other@x>')).toBeNull()
  })
})
