import { hasRight, missingRoleMessage, rights, roles, type Right } from '../../domain/roles'

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

describe('rights added by the hardening of issue 16', () => {
  test('the bounces role reports bounces and can do nothing else, not even read', () => {
    const granted = (Object.keys(rights) as Right[]).filter((right) => hasRight(['bounces'], right))
    expect(granted).toEqual(['reportBounces'])
    expect(hasRight(['admin'], 'reportBounces')).toBe(true)
    expect(hasRight(['viewer'], 'reportBounces')).toBe(false)
  })

  test('Compute stats is for those who work on deliveries, not for viewers', () => {
    expect(roles.filter((role) => hasRight([role], 'computeStats'))).toEqual(['prepare', 'approve', 'start'])
  })

  test('skipping approval is an approver’s right: neither prepare nor start holds it', () => {
    expect(roles.filter((role) => hasRight([role], 'skipApproval'))).toEqual(['approve'])
  })
})
