import type { CellResult, Results } from '../../../core/results.ts';
import type { Report } from '../../../core/report.ts';

/** A cell with the names charts label it by. */
export interface LabelledCell {
  run: Results;
  cell: CellResult;
  device: string;
  /** The variant, prefixed with the run id when the report shows more than one run. */
  variant: string;
  precision: string;
}

export function labelledCells(report: Report): LabelledCell[] {
  const many = report.runs.length > 1;
  return report.runs.flatMap((run) =>
    run.cells.map((cell) => ({
      run,
      cell,
      device: cell.deviceId,
      variant: many ? `${run.runId} / ${cell.variant.name}` : cell.variant.name,
      precision: cell.variant.precision ?? 'unknown',
    })),
  );
}

export const MiB = 1024 * 1024;

/** Four significant digits: finer than any chart can show, and a fraction of the page's bytes. */
export const rounded = (value: number) => Number(value.toPrecision(4));
