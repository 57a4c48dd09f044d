/** Why a targeted profile is left out at preparation (ACS "Exclusion causes"). */
export const exclusionReasons = [
  'no_address',
  'invalid_address',
  'denylisted',
  'quarantined',
  'duplicate_address',
  'target_limit',
] as const
export type ExclusionReason = (typeof exclusionReasons)[number]

export const exclusionLabels: Record<ExclusionReason, string> = {
  no_address: 'Address not specified',
  invalid_address: 'Invalid address',
  denylisted: 'On denylist / unsubscribed',
  quarantined: 'Address in quarantine',
  duplicate_address: 'Duplicate address',
  target_limit: 'Target limited in size',
}
