import * as otel from '@opentelemetry/api'
import type {
  WorkflowInboundCallsInterceptor,
  WorkflowInterceptorsFactory,
  WorkflowOutboundCallsInterceptor,
} from '@temporalio/workflow'
import { interceptors as openTelemetryInterceptors } from '@temporalio/interceptors-opentelemetry/lib/workflow-interceptors'

/**
 * Workflow interceptors when tracing is on (bundled into the workflow code; deterministic: spans leave
 * through a sink, never as commands). The SDK's OpenTelemetry interceptors, plus one rule: an activity
 * belongs to the trace of the last command (update) the workflow accepted — a confirm's trace then shows
 * every sendBatch it caused, although the workflow's main loop schedules them, not the update handler.
 */
export const interceptors: WorkflowInterceptorsFactory = () => {
  const traced = openTelemetryInterceptors()
  let lastCommand: otel.Context | null = null
  const rememberCommand: WorkflowInboundCallsInterceptor = {
    handleUpdate(input, next) {
      lastCommand = otel.context.active()
      return next(input)
    },
  }
  const underLastCommand: WorkflowOutboundCallsInterceptor = {
    scheduleActivity(input, next) {
      return lastCommand ? otel.context.with(lastCommand, () => next(input)) : next(input)
    },
  }
  return {
    inbound: [...(traced.inbound ?? []), rememberCommand],
    outbound: [underLastCommand, ...(traced.outbound ?? [])],
    internals: traced.internals,
  }
}
