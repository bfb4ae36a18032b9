import type { FixedMetricName, MetricName } from '../core/budget.ts';
import { METRICS, type MetricDefinition } from './metrics.ts';
import { workloadMetricDefinition } from './workload-metrics.ts';

/** How to read any metric a budget or comparison can name: a fixed one, or a workload test's (pp512, tg128@d512, itl@d512.p90). */
export function metricDefinition(name: MetricName): MetricDefinition {
  return name in METRICS ? METRICS[name as FixedMetricName] : workloadMetricDefinition(name as Exclude<MetricName, FixedMetricName>);
}
