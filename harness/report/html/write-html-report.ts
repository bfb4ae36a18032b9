import { join } from 'node:path';
import { atomicWrite, makeFolder } from '../../files/atomic-write.ts';
import { Report } from '../../core/report.ts';
import type { Results } from '../../core/results.ts';
import { renderPage } from './page.ts';
import { chartSvg } from './svg.ts';

export interface WrittenReport {
  indexFile: string;
  svgFiles: string[];
  bytes: number;
}

/**
 * Writes <dir>/index.html and <dir>/charts/<chart>.svg, each atomically
 * (temporary file, then rename), so a reader never opens half a page.
 */
export async function writeHtmlReport(dir: string, report: Report): Promise<WrittenReport> {
  checkReport(report);
  const { html, charts } = renderPage(report);
  await makeFolder(join(dir, 'charts'));
  const svgFiles: string[] = [];
  for (const chart of charts) {
    const file = join(dir, 'charts', `${chart.id}.svg`);
    await atomicWrite(file, await chartSvg(chart));
    svgFiles.push(file);
  }
  const indexFile = join(dir, 'index.html');
  await atomicWrite(indexFile, html);
  return { indexFile, svgFiles, bytes: Buffer.byteLength(html) };
}

/**
 * Checks the report's shape against its schema, but for the cells' raw samples: up to 10^6 per cell, they were checked
 * when their results were read or measured, and checking them again would cost more than drawing the page.
 */
function checkReport(report: Report): void {
  const withoutSamples = (run: Results): Results => ({ ...run, cells: run.cells.map((cell) => ({ ...cell, samples: [] })) });
  Report.parse({ ...report, runs: report.runs.map(withoutSamples), ...(report.baseline ? { baseline: withoutSamples(report.baseline) } : {}) });
}
