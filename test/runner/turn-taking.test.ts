import { writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunnerJob } from '../../harness/core/runner-protocol.ts';
import { localDriver } from '../../harness/devices/local.ts';
import { TurnTaking, type TurnSeat } from '../../harness/runner/turn-taking.ts';
import { tempProject, writeSmallModel, type TempProject } from '../helpers/project.ts';

/** A seat whose runner is played by the test: it records who was told to go and who was released. */
function playedSeat(table: TurnTaking, side: number, log: string[]): TurnSeat {
  const seat = table.seat(side);
  seat.join(
    () => log.push(`go ${side}`),
    () => log.push(`free ${side}`),
  );
  return seat;
}

describe('turn-taking between the two processes of a round', () => {
  it('the first side to start goes first; then each turn passes to the other, and only the holder can pass', () => {
    const table = new TurnTaking(2);
    const log: string[] = [];
    const b = playedSeat(table, 1, log);
    expect(log).toEqual(['go 1']);
    // B's load turn ends before A has started: the turn waits for A.
    b.passed();
    b.passed();
    const a = playedSeat(table, 0, log);
    a.passed();
    a.passed(); // not A's turn any more: ignored
    b.passed();
    expect(log).toEqual(['go 1', 'go 0', 'go 1', 'go 0']);
  });

  it('a side that ends (done, failed or killed) or never starts leaves the other running freely, and a retry of it runs freely too', () => {
    const table = new TurnTaking(2);
    const log: string[] = [];
    const a = playedSeat(table, 0, log);
    a.passed();
    // B never started (its cell had failed before): A is released, and stops taking turns.
    table.seat(1).leave();
    a.passed();
    expect(log).toEqual(['go 0', 'free 0']);
    playedSeat(table, 1, log);
    expect(log).toEqual(['go 0', 'free 0', 'free 1']);
    // Leaving twice changes nothing.
    a.leave();
    table.seat(1).leave();
    expect(log).toHaveLength(3);
  });

  it('when the holder leaves mid-turn, the side waiting runs freely at once', () => {
    const table = new TurnTaking(2);
    const log: string[] = [];
    const a = playedSeat(table, 0, log);
    playedSeat(table, 1, log);
    a.leave();
    expect(log).toEqual(['go 0', 'free 1']);
  });
});

describe('real runner processes taking turns (onnxruntime-node)', () => {
  let project: TempProject;
  let modelPath: string;
  beforeAll(async () => {
    project = await tempProject();
    modelPath = await writeSmallModel(project);
  });
  afterAll(() => project.cleanup());

  const job = (path: string): RunnerJob => ({
    modelPath: path,
    task: { kind: 'classify' },
    warmup: 2,
    iterations: 6,
    runtime: { intraOpThreads: 1, graphOptimizationLevel: 'all', executionMode: 'sequential' },
    examples: [{ id: 'e0', feeds: { input_ids: { type: 'int64', dims: [1, 3], data: [1, 2, 3] } } }],
  });
  /** A seat that records each turn it is given. */
  const recorded = (table: TurnTaking, side: number, order: number[]): TurnSeat => {
    const seat = table.seat(side);
    return {
      join: (go, release) =>
        seat.join(() => {
          order.push(side);
          go();
        }, release),
      passed: () => seat.passed(),
      leave: () => seat.leave(),
    };
  };
  const host = { id: 'host', kind: 'local' } as const;

  it('alternate load, warm-up and timed iterations strictly, each process measuring all of its own', async () => {
    const table = new TurnTaking(2);
    const order: number[] = [];
    const outcomes = await Promise.all(
      [0, 1].map((side) => localDriver.runCell(host, job(modelPath), { timeoutMs: 60_000, turns: recorded(table, side, order) })),
    );
    // Load, 2 warm-up and 6 timed iterations: 9 turns each, never two in a row for one side (the side that went first
    // may be handed one more turn after its last, while it exits).
    const worked = order.slice(0, 18);
    expect(worked.filter((s) => s === 0)).toHaveLength(9);
    expect(worked.filter((s) => s === 1)).toHaveLength(9);
    expect(order.every((side, i) => i === 0 || side !== order[i - 1])).toBe(true);
    expect(order.length).toBeLessThanOrEqual(19);
    for (const outcome of outcomes) {
      expect(outcome.events.at(-1)).toEqual({ type: 'done' });
      expect(outcome.strayLines).toEqual([]);
      const timed = outcome.events.flatMap((e) => (e.type === 'samples' && e.phase === 'timed' ? e.latenciesMs : []));
      expect(timed).toHaveLength(6);
      // The timed phase's wall time is the runner's own turns: at least its iterations, which it contains.
      const end = outcome.events.find((e) => e.type === 'timed-phase' && e.edge === 'end') as { wallMs: number };
      expect(end.wallMs).toBeGreaterThanOrEqual(timed.reduce((sum, x) => sum + x, 0) * 0.99);
    }
  }, 90_000);

  it('a runner whose partner fails to load carries on alone to the end', async () => {
    const broken = project.path('broken.onnx');
    await writeFile(broken, 'not a model');
    const table = new TurnTaking(2);
    const order: number[] = [];
    const [good, bad] = await Promise.all([
      localDriver.runCell(host, job(modelPath), { timeoutMs: 60_000, turns: recorded(table, 0, order) }),
      localDriver.runCell(host, job(broken), { timeoutMs: 60_000, turns: recorded(table, 1, order) }),
    ]);
    expect(bad.events.find((e) => e.type === 'error')).toMatchObject({ code: 'MODEL_LOAD_FAILED' });
    expect(good.events.at(-1)).toEqual({ type: 'done' });
    expect(good.events.flatMap((e) => (e.type === 'samples' && e.phase === 'timed' ? e.latenciesMs : []))).toHaveLength(6);
  }, 90_000);
});
