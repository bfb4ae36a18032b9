import { join, relative } from 'node:path';
import { atomicWrite } from '../../files/atomic-write.ts';
import type { ReporterOutput } from './reporter.ts';

/**
 * Writes a file reporter's text atomically to out.file, or to its own file name in out.dir, and says where.
 * Returns the file written.
 */
export async function writeReportFile(reporter: { name: string; fileName: string }, out: ReporterOutput, text: string): Promise<string> {
  const file = out.file ?? join(out.dir, reporter.fileName);
  await atomicWrite(file, text);
  out.print(`${reporter.name}: ${relative(process.cwd(), file)}`);
  return file;
}
