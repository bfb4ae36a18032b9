import { PAGE_ERROR_GLOBAL } from '../../runner/web/page-api.ts';

/** URL paths of the runner page and the runner it imports, as the page server serves them. */
export const PAGE_PATHS = { page: '/', runner: '/runner.mjs' } as const;

/**
 * The benchmark page: the job's runtime module (onnxruntime-web's WASM-only
 * build, the smallest: the WebGPU/WebNN bundles add seconds to session
 * creation; or wllama's), put on globalThis under `global`, then the runner.
 * A failed import is left on the page for the driver to report.
 */
export function runnerPageHtml(runtimeModule: string, global: string): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>edgebench runner</title></head>
<body>
<script type="module">
try {
  globalThis[${JSON.stringify(global)}] = await import(${JSON.stringify(runtimeModule)});
  await import(${JSON.stringify(PAGE_PATHS.runner)});
} catch (error) {
  globalThis.${PAGE_ERROR_GLOBAL} = String(error && error.stack || error);
}
</script>
</body>
</html>
`;
}
