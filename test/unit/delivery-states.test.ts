import {
  assertCanApply,
  canApply,
  commandAllowedIn,
  deliveryStatuses,
  IllegalTransitionError,
  illegalTransition,
  isFinal,
  isSending,
} from '../../domain/delivery-states'

describe('delivery lifecycle rules', () => {
  test('confirm is only legal once prepared and approved (ready)', () => {
    expect(deliveryStatuses.filter((s) => canApply('confirm', s))).toEqual(['ready'])
  })

  test('content can change until the send is confirmed, never after', () => {
    expect(commandAllowedIn.edit).toEqual(['draft', 'preparation_failed', 'awaiting_approval', 'ready'])
    for (const status of ['start_pending', 'sending', 'paused', 'finished'] as const)
      expect(canApply('edit', status)).toBe(false)
  })

  test('pause, resume and stop act on a send in progress; stop also cancels a scheduled one', () => {
    expect(canApply('pause', 'sending')).toBe(true)
    expect(canApply('pause', 'paused')).toBe(false)
    expect(canApply('resume', 'paused')).toBe(true)
    expect(canApply('stop', 'start_pending')).toBe(true)
    expect(canApply('stop', 'finished')).toBe(false)
  })

  test('an illegal transition names the command and the current status', () => {
    expect(() => assertCanApply('approve', 'draft')).toThrow(IllegalTransitionError)
    expect(() => assertCanApply('approve', 'draft')).toThrow(
      "Cannot approve a delivery that is draft (status 'draft')",
    )
  })

  test('a refusal is derived, not caught: the reason an illegal command is refused, none for a legal one', () => {
    expect(illegalTransition('pause', 'ready')).toBe(
      "Cannot pause a delivery that is ready to send (status 'ready')",
    )
    expect(illegalTransition('confirm', 'ready')).toBeNull()
  })

  test('while sending, waiting for a retry or paused the send is under way; otherwise it is not', () => {
    expect(deliveryStatuses.filter(isSending)).toEqual(['sending', 'retry_pending', 'paused'])
  })

  test('finished, stopped and failed are final', () => {
    expect(deliveryStatuses.filter(isFinal)).toEqual(['stopped', 'failed', 'finished'])
  })
})
