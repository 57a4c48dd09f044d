import { hasRight, missingRoleMessage } from '../../domain/roles'

describe('roles', () => {
  test('only the start role may confirm a send; prepare may not', () => {
    expect(hasRight(['start'], 'startDeliveries')).toBe(true)
    for (const role of ['prepare', 'approve', 'workflow', 'admin', 'viewer'] as const) {
      expect(hasRight([role], 'startDeliveries')).toBe(false)
    }
  })

  test('start can do everything prepare does', () => {
    expect(hasRight(['start'], 'editDeliveries')).toBe(true)
    expect(hasRight(['prepare'], 'editDeliveries')).toBe(true)
  })

  test('the workflow role runs recurrences but cannot send', () => {
    expect(hasRight(['workflow'], 'runWorkflows')).toBe(true)
    expect(hasRight(['workflow'], 'startDeliveries')).toBe(false)
  })

  test('the refusal names the missing role as the product shows it', () => {
    expect(missingRoleMessage('startDeliveries', 'confirm the send')).toBe(
      'You do not have the "Start deliveries" role (start) needed to confirm the send.',
    )
  })
})
