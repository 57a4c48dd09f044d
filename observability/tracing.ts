import * as otel from '@opentelemetry/api'
import type { Context } from 'hono'
import { routePath } from 'hono/route'
import type { ClientInterceptors } from '@temporalio/client'
import type { WorkerOptions } from '@temporalio/worker'
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base'
import type { Resource } from '@opentelemetry/resources'

/**
 * OpenTelemetry traces, on when `OTEL_EXPORTER_OTLP_ENDPOINT` (or `…_TRACES_ENDPOINT`) is set: the
 * standard OTel variables configure the OTLP/HTTP exporter. One trace follows a command from the HTTP
 * request (a span per request) through the Temporal client's update, the workflow's handler, to each
 * activity it causes (`@temporalio/interceptors-opentelemetry`). Unset, nothing is loaded or wrapped.
 */
interface Tracing {
  tracer: otel.Tracer
  spanProcessor: SpanProcessor
  resource: Resource
  shutdown: () => Promise<void>
}

let tracing: Tracing | null = null

export function tracingConfigured(env: NodeJS.ProcessEnv = process.env): boolean {
  const endpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT
  return Boolean(endpoint) && env.OTEL_SDK_DISABLED !== 'true' && env.OTEL_TRACES_EXPORTER !== 'none'
}

/** Starts the process's tracer provider (once); `service` names it unless `OTEL_SERVICE_NAME` does. */
export async function startTracing(service: string): Promise<boolean> {
  if (tracing || !tracingConfigured()) return tracing !== null
  const [{ NodeTracerProvider }, { BatchSpanProcessor }, { OTLPTraceExporter }, { Resource }] =
    await Promise.all([
      import('@opentelemetry/sdk-trace-node'),
      import('@opentelemetry/sdk-trace-base'),
      import('@opentelemetry/exporter-trace-otlp-http'),
      import('@opentelemetry/resources'),
    ])
  const resource = Resource.default().merge(
    new Resource({ 'service.name': process.env.OTEL_SERVICE_NAME || service }),
  )
  const spanProcessor = new BatchSpanProcessor(new OTLPTraceExporter())
  const provider = new NodeTracerProvider({ resource, spanProcessors: [spanProcessor] })
  provider.register()
  tracing = {
    tracer: otel.trace.getTracer('herald'),
    spanProcessor,
    resource,
    shutdown: async () => {
      await provider.shutdown()
      // Unregistered, so that a later start (a benchmark turning tracing on again) registers anew.
      otel.trace.disable()
      otel.context.disable()
      otel.propagation.disable()
    },
  }
  return true
}

/** Sends the spans still buffered (at shutdown). */
export async function stopTracing(): Promise<void> {
  await tracing?.shutdown()
  tracing = null
}

/** Runs one HTTP request inside a server span continuing the caller's `traceparent`, when tracing is on. */
export async function traceRequest(c: Context, answer: () => Promise<number>): Promise<void> {
  if (!tracing) {
    await answer()
    return
  }
  const parent = otel.propagation.extract(otel.context.active(), c.req.header())
  const span = tracing.tracer.startSpan(
    `${c.req.method} ${c.req.path}`,
    {
      kind: otel.SpanKind.SERVER,
      attributes: { 'http.request.method': c.req.method, 'url.path': c.req.path },
    },
    parent,
  )
  try {
    const status = await otel.context.with(otel.trace.setSpan(parent, span), answer)
    const route = routePath(c, -1)
    span.updateName(`${c.req.method} ${route}`)
    span.setAttributes({ 'http.route': route, 'http.response.status_code': status })
    if (status >= 500) span.setStatus({ code: otel.SpanStatusCode.ERROR })
  } finally {
    span.end()
  }
}

/**
 * Runs `work` in a child span of the current one (a batch's database and SMTP work) when tracing is on;
 * off, it only runs it.
 */
export function inSpan<T>(name: string, attributes: otel.Attributes, work: () => Promise<T>): Promise<T> {
  if (!tracing) return work()
  return tracing.tracer.startActiveSpan(name, { attributes }, async (span) => {
    try {
      return await work()
    } catch (err) {
      span.setStatus({ code: otel.SpanStatusCode.ERROR, message: (err as Error)?.message })
      throw err
    } finally {
      span.end()
    }
  })
}

/** The Temporal client's interceptors: none when tracing is off. */
export async function tracingClientInterceptors(): Promise<ClientInterceptors | undefined> {
  if (!tracing) return undefined
  const { OpenTelemetryWorkflowClientInterceptor } = await import('@temporalio/interceptors-opentelemetry')
  return { workflow: [new OpenTelemetryWorkflowClientInterceptor()] }
}

/**
 * A worker's tracing options: workflow interceptors (they must be bundled into the workflow code, so a
 * traced worker bundles its workflows itself), activity spans, and the sink taking workflow spans out.
 */
export async function tracingWorkerOptions(): Promise<Pick<WorkerOptions, 'interceptors' | 'sinks'> | null> {
  if (!tracing) return null
  const otelWorker = await import('@temporalio/interceptors-opentelemetry')
  return {
    interceptors: {
      workflowModules: [require.resolve('./workflow-interceptors')],
      activity: [
        (ctx) => ({
          inbound: new otelWorker.OpenTelemetryActivityInboundInterceptor(ctx),
          outbound: new otelWorker.OpenTelemetryActivityOutboundInterceptor(ctx),
        }),
      ],
    },
    sinks: { exporter: otelWorker.makeWorkflowExporter(tracing.spanProcessor, tracing.resource) },
  }
}
