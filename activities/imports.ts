import type { Database } from '../persistence/database'
import { applyImportChunk } from '../persistence/imports'

/** The import workflow's one activity: apply the next chunk of an import's staged lines. */
export const createImportActivities = (deps: { db: Database }) => ({
  async applyImportChunk(input: { importId: number; chunkRows: number }): Promise<{ done: boolean }> {
    return applyImportChunk(deps.db, input.importId, input.chunkRows)
  },
})
