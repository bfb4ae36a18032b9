import { gate } from '../../harness/compare/gate.ts';
import { buildTrends } from '../../harness/history/report-trends.ts';
import { buildReport } from '../../harness/report/report.ts';
import { type Report } from '../../harness/core/report.ts';
import type { Results } from '../../harness/core/results.ts';
import { commitOf, dayOf, historyOf } from './history.ts';
import { latencies, results } from './results.ts';

/** Strings that would run script if a report put them into HTML unescaped. Each sets window.__pwned. */
export const HOSTILE = ['<script>window.__pwned = 1</script>', '"><img src=x onerror="window.__pwned = 2">', '</script><script>window.__pwned = 3</script>'];

/**
 * A baseline and a candidate run of three variants with quality scores, a router
 * sweep, budgets (one failing) and model outputs, labels and inputs that are
 * hostile strings, and a history of twelve earlier runs with an 8% step at the
 * seventh, whose commit and every branch name are hostile: everything the report shows.
 */
export function hostileReport(): Report {
  const correct = (wrongEvery: number) => Array.from({ length: 200 }, (_, i) => i % wrongEvery !== 0);
  const spec = (scale: number) => [
    { variant: 'fp32', samples: latencies(300, 2 * scale, 1), repeats: 3, peakRssBytes: 300e6, correct: correct(50) },
    { variant: 'int8', samples: latencies(300, 1.2 * scale, 2), repeats: 3, peakRssBytes: 200e6, correct: correct(40) },
    { variant: HOSTILE[1]!, samples: latencies(300, 0.9 * scale, 3), repeats: 3, peakRssBytes: 150e6, correct: correct(20) },
  ];
  const budgets = {
    budgets: [
      { metric: 'latency.p90', max: 1.5, name: HOSTILE[0] },
      { metric: 'peakRssBytes', max: 400e6 },
      { metric: 'latency.p50', increase: { relative: 0.05 } },
    ],
  };
  const baseline = results(spec(1), { runId: 'baseline', suite: budgets });
  const candidate = { ...results(spec(1.15), { runId: 'candidate', suite: budgets }), startedAt: dayOf(13) };
  for (const run of [baseline, candidate]) decorate(run);
  const history = historyOf(
    12,
    (k) => results(spec(k >= 7 ? 1.08 : 1), { runId: `history-${k}`, suite: budgets }),
    (k) => ({ commit: k === 7 ? HOSTILE[0]! : commitOf(k), branch: HOSTILE[2]! }),
  );
  const trends = buildTrends({ historyFile: 'history.jsonl', entries: history, runs: [candidate] });
  return buildReport({
    runs: [candidate],
    baseline,
    gates: [gate({ baseline: { results: baseline, file: 'baseline/results.json' }, candidate: { results: candidate, file: 'candidate/results.json' } })],
    trends,
  });
}

function decorate(run: Results): void {
  run.examples = Array.from({ length: 12 }, (_, i) => ({
    id: `x${i}`,
    input: i < 3 ? HOSTILE[i]! : `input ${i}`,
    label: i === 3 ? HOSTILE[2]! : `label ${i % 4}`,
    baseline: `label ${i % 4}`,
  }));
  for (const [index, cell] of run.cells.entries()) {
    cell.outputs = run.examples.map((e, i) => ({
      exampleId: e.id,
      output: { kind: 'classify', classIndex: i % 4, logits: [0, 1, 2, 3] },
      answer: i === index ? HOSTILE[index]! : `label ${i % 4}`,
    }));
    const points = Array.from({ length: 30 }, (_, i) => ({
      threshold: i / 29,
      localShare: 1 - i / 29,
      cloudShare: i / 29,
      combinedAccuracy: 0.95 + 0.05 * Math.sqrt(i / 29),
      localAccuracyOnKept: 0.95,
    }));
    cell.quality = {
      ...cell.quality!,
      hallucination: { n: 200, count: 4 * (index + 1), rate: (4 * (index + 1)) / 200, ci95: { lower: 0.005, upper: 0.08 }, definition: 'test', perExample: [] },
      fidelity: { reference: 'fp32', distributions: 200, meanKlDivergence: 0.001 * index, top1Agreement: 1 - 0.01 * index, maxAbsLogitError: 0.1 },
      router: { signal: 'entropy', targetAccuracy: 0.99, points, recommended: points[12]!, note: 'test' },
    };
  }
}
