// Preloaded into the soak's gateway (NODE_OPTIONS=--require): after each major GC, prints the heap
// still in use. Its trend is what a leak moves; RSS also follows how much heap V8 keeps committed,
// which swings by ~80 MB between collections under this load.
const { PerformanceObserver, constants } = require('node:perf_hooks');

const started = Date.now();
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    if (entry.detail?.kind !== constants.NODE_PERFORMANCE_GC_MAJOR) continue;
    process.stderr.write(`heap-after-gc ${((Date.now() - started) / 1000).toFixed(1)} ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(1)}\n`);
  }
}).observe({ entryTypes: ['gc'] });
