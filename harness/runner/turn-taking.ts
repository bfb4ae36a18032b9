/**
 * Runner processes that take turns on one device: the two processes of an A/B round are both started, and only the
 * one holding the turn loads its model or runs an inference; it then hands the turn to the other. Each process keeps
 * its own memory, start-up and failure (one process per variant, as always), while A's and B's iterations alternate
 * a few milliseconds apart, so whatever the machine does over a round (frequency, a neighbour's load, heat) falls on
 * both alike and cancels in the paired ratio. Opt-in (run --ab --turns): on the 2-core VM it did not reliably narrow a
 * round (an A/A round's robust SD 2.7-7.8% taking turns, 3.9-4.3% one after the other, docs/compare-and-gate.md),
 * since what is left there is a property of each process; it is for devices that drift within a round (throttling).
 *
 * Wire (RunnerJob.turns): the runner waits for a TURN_GO line on stdin before its load and before each iteration,
 * and writes TURN_DONE_LINE to stdout after each. A runner whose stdin ends runs freely: that is how the one left
 * carries on once the other has exited (done, failed or killed), and how a runner started outside a round behaves.
 */

/** Parent to runner, a stdin line: your turn. */
export const TURN_GO = 'go';
/** Runner to parent, a stdout line of its own: my turn is over. Not a RunnerEvent: it is relayed, not recorded. */
export const TURN_DONE_LINE = '{"type":"turn"}';

/** One side of a round, as its runner process sees it. */
export interface TurnSeat {
  /** The runner has started: `go` hands it the turn, `release` ends its stdin so it runs freely. */
  join(go: () => void, release: () => void): void;
  /** The runner reported the end of a turn. */
  passed(): void;
  /** The side's process has ended, or will never start: the other side runs freely. Idempotent. */
  leave(): void;
}

type SeatState = { kind: 'absent' } | { kind: 'present'; go: () => void; release: () => void } | { kind: 'left' };

export class TurnTaking {
  private readonly seats: SeatState[];
  /** The side holding the turn; undefined until the first side joins, which then goes first. */
  private holder: number | undefined;
  /** Whether the holder has been told to go and has not passed yet. */
  private granted = false;

  constructor(sides: number) {
    this.seats = Array.from({ length: sides }, () => ({ kind: 'absent' }));
  }

  seat(side: number): TurnSeat {
    return {
      join: (go, release) => this.join(side, go, release),
      passed: () => this.passed(side),
      leave: () => this.leave(side),
    };
  }

  private join(side: number, go: () => void, release: () => void): void {
    const seat = this.seats[side]!;
    // A side that already left (a retried attempt) runs freely.
    if (seat.kind !== 'absent' || this.alone(side)) {
      release();
      if (seat.kind === 'absent') this.seats[side] = { kind: 'left' };
      return;
    }
    this.seats[side] = { kind: 'present', go, release };
    this.holder ??= side;
    this.grant();
  }

  private passed(side: number): void {
    if (this.holder !== side) return;
    this.granted = false;
    this.holder = this.next(side);
    this.grant();
  }

  private leave(side: number): void {
    if (this.seats[side]!.kind === 'left') return;
    this.seats[side] = { kind: 'left' };
    if (this.holder === side) {
      this.granted = false;
      this.holder = this.next(side);
    }
    // Everyone still present runs freely from now on: there is no one left to take turns with.
    const present = this.seats.flatMap((s, i) => (s.kind === 'present' ? [i] : []));
    if (present.length === 1) {
      const last = this.seats[present[0]!] as Extract<SeatState, { kind: 'present' }>;
      last.release();
      this.seats[present[0]!] = { kind: 'left' };
      this.holder = undefined;
    } else this.grant();
  }

  /** Whether every other side has left. */
  private alone(side: number): boolean {
    return this.seats.every((s, i) => i === side || s.kind === 'left');
  }

  /** The next side after `side` that has not left (it may not have joined yet: the turn waits for it). */
  private next(side: number): number {
    for (let step = 1; step <= this.seats.length; step++) {
      const candidate = (side + step) % this.seats.length;
      if (this.seats[candidate]!.kind !== 'left') return candidate;
    }
    return side;
  }

  private grant(): void {
    if (this.holder === undefined || this.granted) return;
    const seat = this.seats[this.holder]!;
    if (seat.kind !== 'present') return;
    this.granted = true;
    seat.go();
  }
}
