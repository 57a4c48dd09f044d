/** Roles and what they allow (SPEC.md, "Roles and access"; ACS "List of roles"). */

export const roles = ['prepare', 'approve', 'start', 'workflow', 'admin', 'viewer', 'bounces'] as const
export type Role = (typeof roles)[number]

/** Names as the product shows them; a 403 names the role the user is missing. */
export const roleLabels: Record<Role, string> = {
  prepare: 'Prepare deliveries',
  approve: 'Approve deliveries',
  start: 'Start deliveries',
  workflow: 'Workflow',
  admin: 'Administration',
  viewer: 'Viewer',
  bounces: 'Bounce webhook',
}

/** Each right is granted by any of the listed roles; the first is the one a refusal names. */
export const rights = {
  /** create, edit, prepare, delete deliveries; import profiles */
  editDeliveries: ['prepare', 'start'],
  approveDeliveries: ['approve'],
  /**
   * Create a delivery that needs no approval (`requireApproval: false`), where the installation allows
   * it (`HERALD_APPROVAL=optional`): approving in advance is an approver's call.
   */
  skipApproval: ['approve'],
  /** confirm the send, pause, resume, stop */
  startDeliveries: ['start'],
  /** pause, resume, trigger recurrences */
  runWorkflows: ['workflow', 'start'],
  /** Compute stats: a full recount of a delivery's logs on each call, for those who work on deliveries */
  computeStats: ['prepare', 'approve', 'start'],
  administer: ['admin'],
  /** the bounce webhook: asynchronous bounces and complaints; its own role holds nothing else */
  reportBounces: ['bounces', 'admin'],
  read: ['viewer', 'prepare', 'approve', 'start', 'workflow', 'admin'],
} as const satisfies Record<string, readonly Role[]>
export type Right = keyof typeof rights

export function hasRight(userRoles: readonly Role[], right: Right): boolean {
  const granting: readonly Role[] = rights[right]
  return userRoles.some((role) => granting.includes(role))
}

/** The role a refused user should ask for: the first role that grants the right. */
export function missingRoleMessage(right: Right, action: string): string {
  const role = rights[right][0]
  return `You do not have the "${roleLabels[role]}" role (${role}) needed to ${action}.`
}
