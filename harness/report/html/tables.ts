import { instructionsNotes, instructionsText } from '../instructions-labels.ts';
import type { InstructionsMetric } from '../../core/instructions-metric.ts';
import type { GateReport } from '../../core/comparison.ts';
import { metricValue, type Metric } from '../../core/metric.ts';
import type { Results } from '../../core/results.ts';
import { ENERGY_THERMAL_FIGURES, energyThermalNotes, estimateName } from '../energy-labels.ts';
import type { Report } from '../../core/report.ts';
import { escapeHtml as h } from './escape.ts';
import { workloadTable } from '../workload-table.ts';

/** Rows of the example-outputs table per device; examples where the answers differ come first. */
const EXAMPLE_ROWS = 40;
const MiB = 1024 * 1024;

const table = (header: string[], rows: string[][], className = '') =>
  `<table${className ? ` class="${className}"` : ''}><thead><tr>${header.map((c) => `<th>${h(c)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

/** The gate first: pass or fail, what failed and by how much, what changed. */
export function gateSection(gate: GateReport, runLabel: string): string {
  const failed = gate.budgets.filter((b) => !b.passed && b.level !== 'off');
  const errors = failed.filter((b) => b.level === 'error');
  const banner =
    gate.status === 'fail'
      ? `<p class="verdict fail" data-status="fail">FAIL: ${errors.length} budget check(s) at level error failed. The release is blocked.</p>`
      : `<p class="verdict pass" data-status="pass">PASS: no budget at level error failed${failed.length ? ` (${failed.length} warning(s))` : ''}.</p>`;
  const against = gate.baseline
    ? `compared with baseline run <code>${h(gate.baseline.runId)}</code>`
    : 'no baseline run: absolute and within-variant budgets only';
  const budgets = failed.length
    ? table(
        ['level', 'budget', 'device / variant', 'expected', 'actual', 'detail'],
        failed.map((b) => [
          `<span class="level ${b.level}">${h(b.level)}</span>`,
          h(b.name),
          h(`${b.deviceId} / ${b.variant}`),
          h(b.expected),
          h(b.actual === null ? 'not checked' : formatActual(b.actual, b.metric)),
          h(b.message),
        ]),
      )
    : `<p>${gate.budgets.length ? `All ${gate.budgets.length} budget check(s) passed.` : 'The suite has no budgets.'}</p>`;
  const notable = gate.comparisons.filter((c) => c.verdict !== 'unchanged' && c.verdict !== 'unavailable');
  const changes = notable.length
    ? table(
        ['verdict', 'device / variant', 'metric', 'baseline', 'candidate', 'change [95% CI]', 'rule'],
        notable.map((c) => [
          `<span class="verdict-tag ${c.verdict}">${h(c.verdict)}</span>`,
          h(`${c.deviceId} / ${c.variant}`),
          h(c.estimated ? `${c.metric} (estimated: ${c.estimated})` : c.metric),
          h(c.baseline ? formatValue(c.baseline.value, c.unit) : '-'),
          h(c.candidate ? formatValue(c.candidate.value, c.unit) : '-'),
          h(
            c.delta
              ? `${c.delta.relative >= 0 ? '+' : ''}${pct(c.delta.relative)}${c.delta.relativeCi95 ? ` [${pct(c.delta.relativeCi95.lower)}, ${pct(c.delta.relativeCi95.upper)}]` : ''}`
              : '-',
          ),
          h(c.rule),
        ]),
      )
    : gate.comparisons.length
      ? `<p>All ${gate.comparisons.length} comparisons: unchanged.</p>`
      : '';
  const warnings = gate.warnings.length
    ? `<h3>Measurement warnings</h3><ul>${gate.warnings.map((w) => `<li>${h(`${w.deviceId} / ${w.variant} (${w.run}): ${w.message}`)} <em>Remedy: ${h(w.remedy)}</em></li>`).join('')}</ul>`
    : '';
  return `<section class="gate"><h2>Gate: ${h(runLabel)}</h2>${banner}<p>Run <code>${h(gate.candidate.runId)}</code>, ${against}.</p>${budgets}${changes}${warnings}</section>`;
}

function formatValue(value: number, unit: string): string {
  if (unit === 'share') return pct(value);
  if (unit === 'bytes') return `${(value / MiB).toFixed(1)} MiB`;
  return `${value.toPrecision(4)} ${unit}`;
}

function formatActual(value: number, metric: string): string {
  return metric === 'accuracy' || metric === 'hallucination' || metric === 'outOfDomain'
    ? pct(value)
    : metric.endsWith('Bytes')
      ? `${(value / MiB).toFixed(1)} MiB`
      : value.toPrecision(4);
}

/** What each device is and what ran on it. */
export function deviceSection(report: Report): string {
  const rows = report.runs.flatMap((run) =>
    run.devices.map((d) => {
      const runtime = run.cells.find((c) => c.deviceId === d.id && c.runtime)?.runtime;
      const f = d.facts;
      return [
        h(d.id),
        h(d.kind),
        h(d.class ?? '-'),
        h(f ? f.cpuModel : d.skipped ? `skipped: ${d.skipped}` : `unknown: ${d.factsError ?? 'not recorded'}`),
        h(f?.logicalCores !== undefined ? `${f.logicalCores} logical / ${f.physicalCores ?? '?'} physical` : f ? 'not known' : '-'),
        h(f?.memoryBytes !== undefined ? `${(f.memoryBytes / 1024 ** 3).toFixed(1)} GiB` : f ? 'not known' : '-'),
        h(f ? `${f.os}, kernel ${f.kernel}, ${f.arch}` : '-'),
        h(runtime ? `Node.js ${runtime.node}, onnxruntime ${runtime.onnxruntime} (${runtime.platform}/${runtime.arch})` : '-'),
        h(f?.constraints ?? '-'),
      ];
    }),
  );
  // How the devices shared the machine: numbers from devices that ran together are read differently.
  const scheduling = report.runs.flatMap((run) => {
    const s = run.scheduling;
    if (!s) return [];
    const overhead = s.overhead
      ? `; edgebench's own time per runner process: p50 ${s.overhead.perProcessMs.p50.toFixed(1)} ms, max ${s.overhead.perProcessMs.max.toFixed(1)} ms`
      : '';
    return [
      `<p class="note">${report.runs.length > 1 ? `${h(run.runId)}: ` : ''}scheduling ${h(s.policy)}: ${h(s.note)}${s.peakConcurrency !== undefined ? `; at most ${s.peakConcurrency} runner process(es) at once` : ''}${h(overhead)}</p>`,
    ];
  });
  return `<section><h2>Devices</h2>${table(['device', 'kind', 'class', 'CPU', 'cores', 'memory', 'OS', 'runtime', 'constraints'], rows)}${scheduling.join('')}</section>`;
}

/**
 * Energy and thermal: per cell, each figure with its source (measured,
 * estimated and from what, or unavailable); per device, what the figures are
 * and why any is missing. Never a number that was not measured or estimated.
 */
export function energySection(report: Report): string {
  const parts = report.runs.map((run) => {
    const notes = energyThermalNotes(run.cells);
    const figures = ENERGY_THERMAL_FIGURES.filter((f) => run.cells.some((c) => c.metrics[f.key]));
    const shown = run.cells.filter((c) => figures.some((f) => c.metrics[f.key] && c.metrics[f.key]!.source !== 'unavailable'));
    const value = (m: Metric | undefined, digits: number) => {
      if (!m) return '-';
      if (m.source === 'unavailable') return `<span class="source unavailable" title="${h(m.reason)}">unavailable</span>`;
      return `${h(m.value.toFixed(digits))}${m.source === 'estimated' ? ` <span class="source estimated" title="${h(m.from)}">${h(`estimated (${estimateName(m.from)})`)}</span>` : ''}`;
    };
    const perCell = shown.length
      ? table(
          ['device', 'variant', ...figures.map((f) => (f.unit ? `${f.title} (${f.unit})` : f.title)), 'thermal gate'],
          shown.map((c) => [
            h(c.deviceId),
            h(c.variant.name),
            ...figures.map((f) => value(c.metrics[f.key], f.digits)),
            h(c.thermal ? (c.thermal.gating === 'gated' ? 'gated' : `ungated (${c.thermal.gating})`) : '-'),
          ]),
        )
      : '';
    const labelled = (text: string) => {
      const lead = /^((?:unavailable|unknown) on .+?): /.exec(text);
      return lead ? `<span class="source unavailable">${h(lead[1]!)}</span>: ${h(text.slice(lead[0].length))}` : h(text);
    };
    const described = notes.length
      ? table(
          ['device', 'figure', 'source'],
          notes.flatMap((n) => n.lines.map((l) => [h(n.devices.join(', ')), h(l.topic), labelled(l.text)])),
        )
      : '';
    const unprobed = run.devices
      .filter((d) => !d.skipped && !notes.some((n) => n.devices.includes(d.id)))
      .map(
        (d) =>
          `<p><span class="source unavailable">unavailable</span>: no energy probe ran on ${h(d.id)} in this run, so no energy or thermal figure is shown.</p>`,
      );
    return `${report.runs.length > 1 ? `<h3>${h(run.runId)}</h3>` : ''}${perCell}${described}${unprobed.join('')}`;
  });
  return `<section id="energy"><h2>Energy and thermal</h2>${parts.join('')}<p class="note">Energy is over each runner process's timed phase; temperatures are at its start and end. Hover "unavailable" or "estimated" for the reason or the model.</p></section>`;
}

/** Cells that failed, with their codes and messages. */
export function failureSection(report: Report): string {
  const failed = report.runs.flatMap((run) =>
    run.cells.filter((c) => c.status === 'failed').map((c) => [h(c.deviceId), h(c.variant.name), h(c.error?.code ?? ''), h(c.error?.message ?? '')]),
  );
  return failed.length ? `<section><h2>Failed cells</h2>${table(['device', 'variant', 'code', 'message'], failed)}</section>` : '';
}

/** An instruction count with its caveat on hover, or why there is none. */
function instructionsCell(metric: InstructionsMetric | undefined): string {
  if (metric?.source === 'unavailable') return `<span class="source unavailable" title="${h(metric.reason)}">unavailable</span>`;
  return metric ? `<span title="${h(`${metric.label}: ${metric.method}`)}">${h(instructionsText(metric))}</span>` : '-';
}

/** Per variant: measured metrics with their sources, and fidelity to the reference variant. */
export function metricsSection(report: Report): string {
  const value = (m: Metric | undefined, unit: (v: number) => string) => {
    if (!m) return '-';
    if (m.source === 'unavailable') return `<span class="source unavailable" title="${h(m.reason)}">unavailable</span>`;
    const v = metricValue(m);
    return v === undefined ? '-' : `${h(unit(v))}${m.source === 'estimated' ? ` <span class="source estimated" title="${h(m.from)}">estimated</span>` : ''}`;
  };
  const cells = report.runs.flatMap((run) => run.cells);
  const counted = cells.some((c) => c.metrics.instructions);
  const rows = report.runs.flatMap((run) =>
    run.cells.map((c) => {
      const latency = c.metrics.latencyMs.source === 'measured' ? c.metrics.latencyMs.summary : undefined;
      const fidelity = c.quality?.fidelity;
      return [
        h(c.deviceId),
        h(c.variant.name),
        h(c.variant.precision ?? 'unknown'),
        h(latency ? `${latency.p50.toFixed(3)} / ${latency.p90.toFixed(3)} / ${latency.p99.toFixed(3)}` : 'unavailable'),
        ...(counted ? [instructionsCell(c.metrics.instructions)] : []),
        h(c.metrics.ttftMs?.source === 'measured' ? c.metrics.ttftMs.summary.p50.toFixed(3) : '-'),
        value(c.metrics.decodeTokensPerSecond, (v) => v.toFixed(1)),
        value(c.metrics.loadMs, (v) => v.toFixed(1)),
        value(c.metrics.peakRssBytes, (v) => (v / MiB).toFixed(1)),
        value(c.metrics.diskBytes, (v) => (v / MiB).toFixed(2)),
        h(
          fidelity
            ? `${fidelity.meanKlDivergence.toExponential(2)} / ${pct(fidelity.top1Agreement)}${fidelity.sequenceAgreement !== undefined ? ` / ${pct(fidelity.sequenceAgreement)}` : ''}`
            : '-',
        ),
      ];
    }),
  );
  const caveat = counted ? `<p class="note">${instructionsNotes(cells).map(h).join('<br>')}</p>` : '';
  return `<section><h2>Metrics</h2>${table(['device', 'variant', 'precision', 'p50 / p90 / p99 ms', ...(counted ? ['instructions'] : []), 'TTFT p50 ms', 'decode tokens/s', 'load ms', 'peak RSS MiB', 'disk MiB', 'fidelity: mean KL / top-1 (/ same generation)'], rows)}<p class="note">Every figure is measured unless marked; hover "unavailable" or "estimated" for the reason or the method.</p>${caveat}</section>`;
}

/** The pp/tg table of every run whose suite had a workload (report/workload-table.ts). */
export function workloadSection(report: Report): string {
  const tables = report.runs.flatMap((run) => {
    const t = workloadTable(run.cells);
    return t ? [`${report.runs.length > 1 ? `<h3>${h(run.runId)}</h3>` : ''}${table(t.header, t.rows.map((r) => r.map(h)))}${t.notes.map((n) => `<p class="note">${h(n)}</p>`).join('')}`] : [];
  });
  return tables.length ? `<section id="workload"><h2>LLM workload: prompt processing and text generation</h2>${tables.join('')}</section>` : '';
}

/** Inputs, the answers they are scored against, and each variant's answer. Everything here came from a dataset or a model: all escaped. */
export function examplesSection(run: Results): string {
  const examples = run.examples ?? [];
  if (examples.length === 0 || run.cells.every((c) => c.outputs.length === 0)) return '';
  const sections = [...new Set(run.cells.map((c) => c.deviceId))].map((deviceId) => {
    const cells = run.cells.filter((c) => c.deviceId === deviceId && c.outputs.length > 0);
    const answers = cells.map((c) => new Map(c.outputs.map((o) => [o.exampleId, o.answer ?? JSON.stringify(o.output)])));
    const differs = (id: string) =>
      new Set(
        [...answers.map((a) => a.get(id)), examples.find((e) => e.id === id)?.label ?? examples.find((e) => e.id === id)?.baseline].filter(
          (a) => a !== undefined,
        ),
      ).size > 1;
    const ordered = [...examples].sort((a, b) => Number(differs(b.id)) - Number(differs(a.id))).slice(0, EXAMPLE_ROWS);
    const hasLabel = examples.some((e) => e.label !== undefined);
    const hasBaseline = examples.some((e) => e.baseline !== undefined);
    const header = ['example', 'input', ...(hasLabel ? ['label'] : []), ...(hasBaseline ? ['cloud baseline'] : []), ...cells.map((c) => c.variant.name)];
    const rows = ordered.map((e) => [
      h(e.id),
      h(e.input),
      ...(hasLabel ? [h(e.label ?? '-')] : []),
      ...(hasBaseline ? [h(e.baseline ?? '-')] : []),
      ...answers.map((a) => {
        const answer = a.get(e.id);
        const expected = e.label ?? e.baseline;
        return answer === undefined ? '-' : `<span class="${expected !== undefined && answer !== expected ? 'mismatch' : ''}">${h(answer)}</span>`;
      }),
    ]);
    return `<h3>${h(deviceId)}</h3>${table(header, rows, 'examples')}<p class="note">${ordered.length} of ${examples.length} examples, those where the answers differ first.</p>`;
  });
  return `<section><h2>Example outputs: ${h(run.runId)}</h2>${sections.join('')}</section>`;
}
