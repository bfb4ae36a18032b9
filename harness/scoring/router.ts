import type { ConfidenceSignals } from './confidence.ts';

export type RouterSignal = 'max-probability' | 'entropy' | 'logit-gap';

export interface RouterItem {
  exampleId: string;
  signals: ConfidenceSignals;
  localCorrect: boolean;
  cloudCorrect: boolean;
}

export interface RouterPoint {
  threshold: number;
  localShare: number;
  cloudShare: number;
  /** (local correct among kept + cloud correct among forwarded) / n. */
  combinedAccuracy: number;
  /** Accuracy of the on-device model on the requests it keeps; null when it keeps none. */
  localAccuracyOnKept: number | null;
}

export interface RouterSweep {
  signal: RouterSignal;
  targetAccuracy: number;
  /** From all local (localShare 1) to all cloud (localShare 0). */
  points: RouterPoint[];
  /** The point that meets the target with the least cloud traffic; null when none does. */
  recommended: RouterPoint | null;
  note: string;
}

/** Most points a sweep keeps; enough to draw the trade-off curve, small enough for results.json. */
export const MAX_ROUTER_POINTS = 200;

const SIGNAL_FIELD = { 'max-probability': 'maxProbability', entropy: 'entropy', 'logit-gap': 'logitGap' } as const satisfies Record<
  RouterSignal,
  keyof ConfidenceSignals
>;

/** Entropy is low when the model is sure; the other signals are high. */
function higherIsConfident(signal: RouterSignal): boolean {
  return signal !== 'entropy';
}

/**
 * Simulates a hybrid router that answers on device when the local model is
 * confident and forwards the request to the cloud model otherwise: a request
 * stays local when its signal passes the threshold (>= for max-probability and
 * logit-gap, <= for entropy). Every distinct observed value is tried as the
 * threshold, plus one just past the most confident value (everything to the cloud).
 */
export function simulateRouter(items: readonly RouterItem[], signal: RouterSignal, targetAccuracy: number): RouterSweep {
  if (items.length === 0) throw new RangeError('router simulation needs at least one example with a confidence signal and both answers scored; got none');
  if (!(targetAccuracy >= 0 && targetAccuracy <= 1)) throw new RangeError(`router target accuracy must be in [0, 1], got ${targetAccuracy}`);
  const field = SIGNAL_FIELD[signal];
  const badItem = items.find((item) => Number.isNaN(item.signals[field]));
  if (badItem) throw new RangeError(`example ${badItem.exampleId}: ${signal} is NaN`);

  const points = sweep(items, signal);
  const recommended = recommend(points, targetAccuracy);
  return {
    signal,
    targetAccuracy,
    points: thinEvenly(points, MAX_ROUTER_POINTS, recommended),
    recommended,
    note: describe(points, recommended, signal, targetAccuracy),
  };
}

/** Every threshold's point, ordered from all local to all cloud. */
function sweep(items: readonly RouterItem[], signal: RouterSignal): RouterPoint[] {
  const field = SIGNAL_FIELD[signal];
  const direction = higherIsConfident(signal) ? 1 : -1;
  const value = (item: RouterItem) => item.signals[field];
  // Compared, not subtracted: a logit gap can be Infinity, and Infinity - Infinity is NaN.
  const mostConfidentFirst = [...items].sort((a, b) => direction * (value(a) > value(b) ? -1 : value(a) < value(b) ? 1 : 0));
  const n = items.length;

  // Requests sorted most confident first: a threshold keeps a prefix local and forwards the rest.
  const localCorrectInPrefix = [0];
  for (const item of mostConfidentFirst) localCorrectInPrefix.push(localCorrectInPrefix.at(-1)! + (item.localCorrect ? 1 : 0));
  const cloudCorrectInSuffix = Array<number>(n + 1).fill(0);
  for (let i = n - 1; i >= 0; i--) cloudCorrectInSuffix[i] = cloudCorrectInSuffix[i + 1]! + (mostConfidentFirst[i]!.cloudCorrect ? 1 : 0);

  const pointKeeping = (kept: number, threshold: number): RouterPoint => {
    const localCorrect = localCorrectInPrefix[kept]!;
    return {
      threshold,
      localShare: kept / n,
      cloudShare: (n - kept) / n,
      combinedAccuracy: (localCorrect + cloudCorrectInSuffix[kept]!) / n,
      localAccuracyOnKept: kept > 0 ? localCorrect / kept : null,
    };
  };

  // Finite, so results stay valid JSON: the nearest double past the most confident value keeps nothing local.
  const points = [pointKeeping(0, nextDouble(value(mostConfidentFirst[0]!), direction))];
  for (let kept = 1; kept <= n; kept++) {
    // A threshold keeps every request tied with it, so only the last of a run of equal values is a point.
    const threshold = value(mostConfidentFirst[kept - 1]!);
    if (kept === n || value(mostConfidentFirst[kept]!) !== threshold) points.push(pointKeeping(kept, threshold));
  }
  return points.reverse();
}

/** Meets the target with the largest local share; among equal shares, the higher combined accuracy. */
function recommend(points: readonly RouterPoint[], targetAccuracy: number): RouterPoint | null {
  let best: RouterPoint | null = null;
  for (const point of points) {
    if (point.combinedAccuracy < targetAccuracy) continue;
    if (!best || point.localShare > best.localShare || (point.localShare === best.localShare && point.combinedAccuracy > best.combinedAccuracy)) best = point;
  }
  return best;
}

/** At most `max` points spread evenly over the sweep, always with both ends and the recommended point. */
function thinEvenly(points: readonly RouterPoint[], max: number, recommended: RouterPoint | null): RouterPoint[] {
  if (points.length <= max) return [...points];
  const slots = recommended ? max - 1 : max;
  const indices = new Set<number>();
  for (let i = 0; i < slots; i++) indices.add(Math.round((i * (points.length - 1)) / (slots - 1)));
  if (recommended) indices.add(points.indexOf(recommended));
  return [...indices].sort((a, b) => a - b).map((i) => points[i]!);
}

function describe(points: readonly RouterPoint[], recommended: RouterPoint | null, signal: RouterSignal, targetAccuracy: number): string {
  const target = `the target accuracy ${percent(targetAccuracy)}`;
  if (recommended) return `${routing(recommended, signal)} reaches a combined accuracy of ${percent(recommended.combinedAccuracy)}, meeting ${target}`;
  const best = points.reduce((a, b) =>
    b.combinedAccuracy > a.combinedAccuracy || (b.combinedAccuracy === a.combinedAccuracy && b.localShare > a.localShare) ? b : a,
  );
  return `no threshold reaches ${target}; the best reachable is ${percent(best.combinedAccuracy)}, by ${routing(best, signal)}`;
}

function routing(point: RouterPoint, signal: RouterSignal): string {
  if (point.localShare === 1) return 'keeping every request local';
  if (point.localShare === 0) return 'sending every request to the cloud';
  const comparison = higherIsConfident(signal) ? '>=' : '<=';
  return `keeping requests local when ${signal} ${comparison} ${point.threshold} (${percent(point.localShare)} local, ${percent(point.cloudShare)} to the cloud)`;
}

function percent(share: number): string {
  return `${(share * 100).toFixed(1)}%`;
}

/** The adjacent double above (direction 1) or below (direction -1) x. */
function nextDouble(x: number, direction: 1 | -1): number {
  if (!Number.isFinite(x)) return x;
  if (x === 0) return direction * Number.MIN_VALUE;
  const float = new Float64Array([x]);
  const bits = new BigInt64Array(float.buffer);
  // Doubles of one sign are ordered like their bit patterns; away from zero is one step up in magnitude.
  bits[0] = bits[0]! + (x > 0 === direction > 0 ? 1n : -1n);
  return float[0]!;
}
