import { continueAsNew, proxyActivities, setCurrentDetails, workflowInfo } from '@temporalio/workflow'
import type { createImportActivities } from '../activities/imports'

/** `import-42`; the prefix keeps apart Herald databases that share a namespace. */
export const importWorkflowId = (importId: number, prefix = '') => `${prefix}import-${importId}`

export interface ImportWorkflowInput {
  importId: number
  chunkRows: number
}

const { applyImportChunk } = proxyActivities<ReturnType<typeof createImportActivities>>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '1s', maximumInterval: '1 minute', backoffCoefficient: 2 },
})

/**
 * A large CSV import, applied chunk by chunk from the rows the API staged. Each chunk is one transaction
 * that also moves the job's mark, so a chunk retried after a crash or restart is applied once; the
 * progress lives in the database (`GET /api/imports/{id}`).
 */
export async function profileImportWorkflow(input: ImportWorkflowInput): Promise<void> {
  for (let chunk = 1; ; chunk++) {
    setCurrentDetails(`Applying chunk ${chunk} of import ${input.importId} (${input.chunkRows} lines each)`)
    const { done } = await applyImportChunk(input)
    if (done) return
    if (workflowInfo().continueAsNewSuggested || chunk >= 500)
      await continueAsNew<typeof profileImportWorkflow>(input)
  }
}
