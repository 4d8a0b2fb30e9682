// Sends traces with the OpenTelemetry JavaScript SDK's own OTLP/HTTP exporters: the guest side of
// NodeSdkInteropIT. Nothing here is span-transport code.
//
//   node send-traces.mjs --url http://127.0.0.1:4318/v1/traces [--socket /path/to.sock]
//                        --format proto|json --traces N --service NAME
//
// With --socket, the exporter's HTTP agent dials that Unix socket instead of the URL's host (the
// URL still gives the path, /v1/traces). Exits 0 once every export succeeded, 1 otherwise.
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { context, trace } from '@opentelemetry/api';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    socket: { type: 'string' },
    format: { type: 'string', default: 'proto' },
    traces: { type: 'string', default: '10' },
    service: { type: 'string', default: 'node-guest' },
  },
});

const config = { url: values.url, timeoutMillis: 10000 };
if (values.socket) {
  // Node's http.Agent turns its socketPath option into the path net.createConnection dials.
  config.httpAgentOptions = { keepAlive: true, socketPath: values.socket };
}
const exporter = values.format === 'json' ? new JsonExporter(config) : new ProtoExporter(config);

let failures = 0;
let exportedSpans = 0;
const counting = {
  export(spans, done) {
    exporter.export(spans, (result) => {
      if (result.code === 0) {
        exportedSpans += spans.length;
      } else {
        failures++;
        console.error(`export of ${spans.length} spans failed: ${result.error}`);
      }
      done(result);
    });
  },
  shutdown: () => exporter.shutdown(),
  forceFlush: () => exporter.forceFlush(),
};

const provider = new BasicTracerProvider({
  resource: resourceFromAttributes({
    'service.name': values.service,
    // A guest may claim any identity in its payload; the receiver must replace it.
    'spantransport.peer.address': '203.0.113.7',
  }),
  spanProcessors: [new BatchSpanProcessor(counting, { maxExportBatchSize: 64 })],
});
const tracer = provider.getTracer('node-interop');

const traces = Number(values.traces);
for (let i = 0; i < traces; i++) {
  const root = tracer.startSpan(`${values.format}-root-${i}`, { attributes: { iteration: i } });
  const child = tracer.startSpan(
    `${values.format}-child-${i}`,
    {},
    trace.setSpan(context.active(), root),
  );
  child.addEvent('work', { step: 1 });
  child.end();
  root.end();
}

await provider.forceFlush();
await provider.shutdown();
console.log(`exported ${exportedSpans} spans, ${failures} failed exports`);
process.exit(failures === 0 && exportedSpans === 2 * traces ? 0 : 1);
