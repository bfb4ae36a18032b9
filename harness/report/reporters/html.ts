import { relative } from 'node:path';
import type { Reporter } from './reporter.ts';

/** The self-contained HTML page, with every chart also as SVG (docs/report.md). */
export const htmlReporter = {
  name: 'html',
  description: 'the self-contained HTML page (index.html) with every chart also as SVG (charts/*.svg)',
  fileName: 'index.html',
  async write(report, out) {
    // Loaded only when a page is drawn: the chart libraries are large, and compare rarely needs them.
    const { writeHtmlReport } = await import('../html/write-html-report.ts');
    const written = await writeHtmlReport(out.dir, report);
    out.print(
      `report: ${relative(process.cwd(), written.indexFile)} (${(written.bytes / 1024 / 1024).toFixed(2)} MB, ${written.svgFiles.length} charts also as SVG)`,
    );
  },
} satisfies Reporter<'html'>;
