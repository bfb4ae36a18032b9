import { PAGE_ERROR_GLOBAL } from '../../runner/web/page-api.ts';

/** URL paths of the runner page and what it imports, as the page server serves them. */
export const PAGE_PATHS = { page: '/', runner: '/runner.mjs', ortFolder: '/ort/', ort: '/ort/ort.wasm.min.mjs' } as const;

/**
 * The benchmark page: onnxruntime-web's WASM-only build (the smallest; the
 * WebGPU/WebNN bundles add seconds to session creation), then the runner.
 * A failed import is left on the page for the driver to report.
 */
export function runnerPageHtml(): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>edgebench runner</title></head>
<body>
<script type="module">
try {
  globalThis.ort = await import(${JSON.stringify(PAGE_PATHS.ort)});
  await import(${JSON.stringify(PAGE_PATHS.runner)});
} catch (error) {
  globalThis.${PAGE_ERROR_GLOBAL} = String(error && error.stack || error);
}
</script>
</body>
</html>
`;
}
