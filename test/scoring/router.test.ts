import { describe, expect, it } from 'vitest';
import { MAX_ROUTER_POINTS, simulateRouter, type RouterItem } from '../../harness/scoring/router.ts';

const item = (exampleId: string, value: number, localCorrect: boolean, cloudCorrect: boolean): RouterItem => ({
  exampleId,
  signals: { maxProbability: value, entropy: value, logitGap: value },
  localCorrect,
  cloudCorrect,
});

// Five requests; mixing beats both all-local (3/5) and all-cloud (3/5).
//   max-probability  local  cloud
//   A 0.95           right  wrong
//   B 0.90           right  right
//   C 0.80           wrong  right
//   D 0.70           right  wrong
//   E 0.60           wrong  right
const FIVE = [item('C', 0.8, false, true), item('A', 0.95, true, false), item('E', 0.6, false, true), item('B', 0.9, true, true), item('D', 0.7, true, false)];

describe('simulateRouter', () => {
  it('sweeps every observed value from all local to all cloud, computed by hand', () => {
    const sweep = simulateRouter(FIVE, 'max-probability', 0.8);
    const allCloud = sweep.points.at(-1)!;
    expect(sweep.points.slice(0, -1)).toEqual([
      { threshold: 0.6, localShare: 1, cloudShare: 0, combinedAccuracy: 0.6, localAccuracyOnKept: 0.6 },
      // Keeps A B C D (3 right locally), forwards E (right in the cloud): 4/5.
      { threshold: 0.7, localShare: 0.8, cloudShare: 0.2, combinedAccuracy: 0.8, localAccuracyOnKept: 0.75 },
      { threshold: 0.8, localShare: 0.6, cloudShare: 0.4, combinedAccuracy: 0.6, localAccuracyOnKept: 2 / 3 },
      { threshold: 0.9, localShare: 0.4, cloudShare: 0.6, combinedAccuracy: 0.8, localAccuracyOnKept: 1 },
      { threshold: 0.95, localShare: 0.2, cloudShare: 0.8, combinedAccuracy: 0.8, localAccuracyOnKept: 1 },
    ]);
    expect(allCloud).toMatchObject({ localShare: 0, cloudShare: 1, combinedAccuracy: 0.6, localAccuracyOnKept: null });
    // Just past the most confident request, and still a finite number for results.json.
    expect(allCloud.threshold).toBeGreaterThan(0.95);
    expect(allCloud.threshold).toBeLessThan(0.9500001);
  });

  it('recommends the least cloud traffic that meets the target', () => {
    const sweep = simulateRouter(FIVE, 'max-probability', 0.8);
    expect(sweep.recommended).toEqual({ threshold: 0.7, localShare: 0.8, cloudShare: 0.2, combinedAccuracy: 0.8, localAccuracyOnKept: 0.75 });
    expect(sweep.note).toContain('max-probability >= 0.7');
    expect(sweep.note).toContain('80.0%');
  });

  it('recommends all local when the local model alone meets the target', () => {
    const sweep = simulateRouter(FIVE, 'max-probability', 0.6);
    expect(sweep.recommended).toMatchObject({ threshold: 0.6, localShare: 1 });
    expect(sweep.note).toMatch(/every request local/);
  });

  it('recommends nothing when no threshold reaches the target, and says what is reachable', () => {
    const sweep = simulateRouter(FIVE, 'max-probability', 0.85);
    expect(sweep.recommended).toBeNull();
    expect(sweep.note).toMatch(/^no threshold reaches the target accuracy 85\.0%; the best reachable is 80\.0%/);
    expect(sweep.note).toContain('max-probability >= 0.7');
    expect(sweep.points).toHaveLength(6);
  });

  it('keeps low entropy local and merges tied values into one threshold', () => {
    //   entropy  local  cloud
    //   P 0.2    right  right
    //   Q 0.5    wrong  right
    //   R 0.5    right  wrong
    //   S 1.0    wrong  right
    const items = [item('S', 1, false, true), item('Q', 0.5, false, true), item('P', 0.2, true, true), item('R', 0.5, true, false)];
    const sweep = simulateRouter(items, 'entropy', 0.75);
    expect(sweep.points.map((p) => p.localShare)).toEqual([1, 0.75, 0.25, 0]);
    expect(sweep.points.slice(0, 3).map((p) => p.threshold)).toEqual([1, 0.5, 0.2]);
    expect(sweep.points.map((p) => p.combinedAccuracy)).toEqual([0.5, 0.75, 0.75, 0.75]);
    expect(sweep.points[3]!.threshold).toBeLessThan(0.2);
    expect(sweep.points[3]!.threshold).toBeGreaterThan(0.1999999);
    expect(sweep.recommended).toEqual({ threshold: 0.5, localShare: 0.75, cloudShare: 0.25, combinedAccuracy: 0.75, localAccuracyOnKept: 2 / 3 });
    expect(sweep.note).toContain('entropy <= 0.5');
  });

  it('reads the logit gap like max probability, higher is more confident', () => {
    const items = [item('a', 4, true, true), item('b', 0.5, false, true)];
    const sweep = simulateRouter(items, 'logit-gap', 1);
    expect(sweep.recommended).toMatchObject({ threshold: 4, localShare: 0.5, combinedAccuracy: 1 });
  });

  it('thins long sweeps evenly but keeps both ends and the recommended point', () => {
    // 1000 distinct values; the local model is right exactly on the 666 most confident requests and the cloud always,
    // so the only thresholds at 100% keep at most those 666: the recommended point keeps 666.
    const items = Array.from({ length: 1000 }, (_, i) => item(`x${i}`, (i + 0.5) / 1000, i >= 334, true));
    const sweep = simulateRouter(items, 'max-probability', 1);
    expect(sweep.recommended).toEqual({ threshold: 0.3345, localShare: 0.666, cloudShare: 0.334, combinedAccuracy: 1, localAccuracyOnKept: 1 });
    expect(sweep.points.length).toBeLessThanOrEqual(MAX_ROUTER_POINTS);
    expect(sweep.points.length).toBeGreaterThan(MAX_ROUTER_POINTS - 5);
    expect(sweep.points).toContainEqual(sweep.recommended);
    expect(sweep.points[0]!.localShare).toBe(1);
    expect(sweep.points.at(-1)!.localShare).toBe(0);
    for (let i = 1; i < sweep.points.length; i++) expect(sweep.points[i]!.localShare).toBeLessThan(sweep.points[i - 1]!.localShare);
  });

  it('rejects input it cannot simulate', () => {
    expect(() => simulateRouter([], 'entropy', 0.9)).toThrow(/at least one example/);
    expect(() => simulateRouter(FIVE, 'entropy', 1.5)).toThrow(/target accuracy/);
    expect(() => simulateRouter([item('a', Number.NaN, true, true)], 'entropy', 0.9)).toThrow(/example a: entropy is NaN/);
  });
});
