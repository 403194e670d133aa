// Entry of dist/otlp.js: the OTLP exporter and the OpenTelemetry SDK in their own bundle (otlp-loader.ts).
export { OtlpExport } from './otlp-export';
