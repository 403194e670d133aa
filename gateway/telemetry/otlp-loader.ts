// The OpenTelemetry SDK and its OTLP exporters are ~0.5 MB of code a gateway without --otlp-endpoint never
// runs: they live in their own bundle (dist/otlp.js), loaded on first use, or from source under tsx.
import { join } from 'node:path';
import type { OtlpExport, OtlpExportOptions } from './otlp-export';
import type { OtlpSettings } from './otlp-settings';

type OtlpModule = { OtlpExport: new (settings: OtlpSettings, options?: OtlpExportOptions) => OtlpExport };

export function createOtlpExport(settings: OtlpSettings, options: OtlpExportOptions = {}): OtlpExport {
  const load = require;
  const errors: string[] = [];
  for (const candidate of [join(__dirname, 'otlp.js'), join(__dirname, 'otlp-export')]) {
    try {
      const mod = load(candidate) as Partial<OtlpModule>;
      if (typeof mod.OtlpExport === 'function') return new mod.OtlpExport(settings, options);
    } catch (error) {
      errors.push((error as Error).message.split('\n')[0]!);
    }
  }
  throw new Error(`the OTLP exporter could not be loaded (${errors.join('; ')}): reinstall kt-gateway`);
}
