// Sends log records with the OpenTelemetry JavaScript SDK's own OTLP/HTTP protobuf log exporter:
// the logs side of NodeSdkInteropIT. Nothing here is span-transport code.
//
//   node send-logs.mjs --url http://127.0.0.1:4318/v1/logs [--socket /path/to.sock]
//                      --logs N --service NAME
//
// Each record carries a trace context (trace id 5b8efff798038103d269b633813fc6NN style, one per
// record) so the receiver side can check ids survive. With --socket, the exporter's HTTP agent
// dials that Unix socket. Exits 0 once every export succeeded, 1 otherwise.
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider, BatchLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { context, trace, TraceFlags } from '@opentelemetry/api';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    socket: { type: 'string' },
    logs: { type: 'string', default: '10' },
    service: { type: 'string', default: 'node-guest' },
  },
});

const config = { url: values.url, timeoutMillis: 10000 };
if (values.socket) {
  config.httpAgentOptions = { keepAlive: true, socketPath: values.socket };
}
const exporter = new OTLPLogExporter(config);

let failures = 0;
let exportedLogs = 0;
const counting = {
  export(logs, done) {
    exporter.export(logs, (result) => {
      if (result.code === 0) {
        exportedLogs += logs.length;
      } else {
        failures++;
        console.error(`export of ${logs.length} log records failed: ${result.error}`);
      }
      done(result);
    });
  },
  shutdown: () => exporter.shutdown(),
  forceFlush: () => exporter.forceFlush(),
};

const provider = new LoggerProvider({
  resource: resourceFromAttributes({
    'service.name': values.service,
    // A guest may claim any identity in its payload; the receiver must replace it.
    'spantransport.peer.address': '203.0.113.7',
  }),
  processors: [new BatchLogRecordProcessor({ exporter: counting, maxExportBatchSize: 64 })],
});
const logger = provider.getLogger('node-interop');

const count = Number(values.logs);
for (let i = 0; i < count; i++) {
  const hex = i.toString(16).padStart(2, '0');
  const parent = trace.setSpanContext(context.active(), {
    traceId: `5b8efff798038103d269b633813fc6${hex}`,
    spanId: `eee19b7ec3c1b1${hex}`,
    traceFlags: TraceFlags.SAMPLED,
  });
  logger.emit({
    severityNumber: SeverityNumber.WARN,
    severityText: 'WARN',
    body: `log-${i}`,
    attributes: { iteration: i },
    context: parent,
  });
}

await provider.forceFlush();
await provider.shutdown();
console.log(`exported ${exportedLogs} log records, ${failures} failed exports`);
process.exit(failures === 0 && exportedLogs === count ? 0 : 1);
