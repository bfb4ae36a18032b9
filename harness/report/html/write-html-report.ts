import { join } from 'node:path';
import { atomicWrite, makeFolder } from '../../files/atomic-write.ts';
import { Report } from '../report.ts';
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
  const { html, charts } = renderPage(Report.parse(report));
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
