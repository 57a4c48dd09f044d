/** Every workflow the Herald worker runs (the worker bundles this file). */
export { deliveryWorkflow } from './delivery'
export { deliveryStatsWorkflow } from './stats'
export { recurringRunWorkflow } from './recurring-run'
export { webhookDispatchWorkflow } from './webhooks'
export { profileImportWorkflow } from './import'
export { retentionWorkflow } from './retention'
