import { describe, expect, it } from 'vitest';
import { SEQUENTIAL_DEFAULTS } from '../../harness/compare/sequential-verdict.ts';
import { decideRounds } from '../../harness/execute/sequential-stop.ts';
import { sequentialEstimate } from '../../harness/stats/betting-confidence-sequence.ts';
import { mulberry32 } from '../../harness/stats/random.ts';

/** Heavy-tailed round noise: normal, with one round in ten ruined by background load (5x the spread). */
function noisyRounds(random: () => number, sigma: number) {
  const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  return () => (random() < 0.1 ? 5 : 1) * sigma * normal();
}

/** One sequential trial at default settings on p50 alone: the verdict it stopped with, and after how many rounds. */
function trial(random: () => number, shift: number) {
  const noise = noisyRounds(random, 0.04);
  const rounds: number[] = [];
  while (rounds.length < SEQUENTIAL_DEFAULTS.maxRounds) {
    rounds.push(Math.log(1 + shift) + noise());
    const decision = decideRounds(new Map([['latency.p50', rounds]]), { ...SEQUENTIAL_DEFAULTS, alpha: 0.01, threshold: 0.03, comparisons: 1 });
    if (decision) return { stopped: decision.stopped, rounds: rounds.length };
  }
  return { stopped: 'max-rounds', rounds: rounds.length };
}

describe('sequential stopping of A/B rounds (seeded simulation)', () => {
  it('keeps false alarms under alpha over all 60 looks of every A/A trial', () => {
    const random = mulberry32(11);
    const trials = 300;
    let sequentialAlarms = 0;
    for (let t = 0; t < trials; t++) {
      const noise = noisyRounds(random, 0.04);
      const rounds = Array.from({ length: 60 }, noise);
      // Anytime-valid: the capital against "no shift" never reaching 1/alpha at any of the 60 looks.
      if (sequentialEstimate(rounds, [0.95]).pValue < 0.01) sequentialAlarms++;
    }
    expect(sequentialAlarms / trials).toBeLessThanOrEqual(0.01);
  });

  it('catches a 5% slowdown in nearly every trial, stopping early, and stops an A/A run without a false alarm', () => {
    const random = mulberry32(5);
    const slow = Array.from({ length: 100 }, () => trial(random, 0.05));
    const same = Array.from({ length: 100 }, () => trial(random, 0));
    expect(slow.filter((t) => t.stopped === 'regressed').length).toBeGreaterThanOrEqual(95);
    expect(same.filter((t) => t.stopped === 'regressed').length).toBeLessThanOrEqual(1);
    const mean = (ts: { rounds: number }[]) => ts.reduce((s, t) => s + t.rounds, 0) / ts.length;
    expect(mean(slow)).toBeLessThan(40);
    expect(mean(same)).toBeLessThan(40);
  });

  it('a regressed tail does not stop the rounds while the median is undecided; once the median decides, the stop names the tail', () => {
    const settings = { ...SEQUENTIAL_DEFAULTS, alpha: 0.01, threshold: 0.03, comparisons: 2 };
    const jitter = (n: number, centre: number, spread: number) => Array.from({ length: n }, (_, i) => centre + (i % 2 ? spread : -spread));
    const tail = (n: number) => jitter(n, Math.log(1.1), 0.002);
    const early = decideRounds(
      new Map([
        ['latency.p50', jitter(10, 0, 0.09)],
        ['latency.p90', tail(10)],
      ]),
      settings,
    );
    expect(early).toBeUndefined();
    const late = decideRounds(
      new Map([
        ['latency.p50', jitter(40, 0, 0.002)],
        ['latency.p90', tail(40)],
      ]),
      settings,
    );
    expect(late).toMatchObject({
      stopped: 'regressed',
      reason: expect.stringMatching(/^latency\.p90 regressed after 40 rounds \(latency\.p50 unchanged, latency\.p90 regressed\)/),
    });
  });

  it('its confidence sequence covers the true shift, and narrows as rounds come in', () => {
    const random = mulberry32(9);
    const noise = noisyRounds(random, 0.04);
    const rounds = Array.from({ length: 80 }, () => Math.log(1.05) + noise());
    const early = sequentialEstimate(rounds.slice(0, 20), [0.95]).intervals.get(0.95)!;
    const late = sequentialEstimate(rounds, [0.95]).intervals.get(0.95)!;
    for (const ci of [early, late]) {
      expect(ci.lower).toBeLessThan(Math.log(1.05));
      expect(ci.upper).toBeGreaterThan(Math.log(1.05));
    }
    expect(late.upper - late.lower).toBeLessThan(early.upper - early.lower);
  });
});
