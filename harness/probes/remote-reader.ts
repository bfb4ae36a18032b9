import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';

/** Ends an answer of the reader script (ASCII group separator). */
const END = '\x1d';
/** How long close() waits for the reader to end. */
const CLOSE_GRACE_MS = 2000;

export interface ReaderCommand {
  file: string;
  args: string[];
}

/**
 * One long-lived reader script on the device (snapshot-files.ts READER_SCRIPT)
 * behind a command such as ssh: a request is its paths written to the
 * reader's stdin, its answer is read back from stdout. A sample then costs a
 * write and a read on a channel already open, where a command per sample
 * starts an ssh client here and a session and a shell on the board: on a
 * busy 2-core machine that start alone took over 100 ms. Requests go one at a
 * time; a reader that died (the connection closed under it) is started again
 * by the next request.
 */
export class RemoteReader {
  private child?: ChildProcessWithoutNullStreams;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly command: () => Promise<ReaderCommand>,
    private readonly where: string,
    private readonly timeoutMs: number,
    /** Why the reader's command failed, from its stderr (ssh's connection errors), when it can say. */
    private readonly problemOf: (stderr: string) => Promise<string | undefined> = async () => undefined,
  ) {}

  /** The reader script's answer for `paths` (records as READ_SCRIPT prints them). */
  read(paths: string[]): Promise<string> {
    const bad = paths.find((p) => p.includes('\n') || p === '');
    if (bad !== undefined)
      return Promise.reject(
        new Error(`${this.where}: a path to read holds a line break or is empty (${JSON.stringify(bad)}): check probes.root in devices.yaml`),
      );
    const next = this.queue.then(() => this.request(paths));
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Ends the reader (the script on the device ends with its session) and waits until it has. */
  async close(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    // Held until it has ended: edgebench waits for it, so the event loop must.
    busy(child);
    const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
    child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([closed, new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_GRACE_MS)))]);
    clearTimeout(timer);
  }

  private async start(): Promise<ChildProcessWithoutNullStreams> {
    if (this.child && this.child.exitCode === null && this.child.signalCode === null) return this.child;
    const { file, args } = await this.command();
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    // An idle reader must not keep edgebench alive at its end (request() holds it while it waits for an answer), nor fail it by an error on a pipe the device closed.
    idle(child);
    child.stdin.on('error', () => undefined);
    this.child = child;
    return child;
  }

  private async request(paths: string[]): Promise<string> {
    const child = await this.start();
    busy(child);
    return new Promise<string>((resolve, reject) => {
      let answer = '';
      let stderr = '';
      const done = (error?: Error) => {
        idle(child);
        clearTimeout(timer);
        child.stdout.off('data', onData);
        child.stderr.off('data', onStderr);
        child.off('close', onClose);
        if (error) reject(error);
        else resolve(answer.slice(0, -END.length));
      };
      const onData = (chunk: string) => {
        answer += chunk;
        if (answer.endsWith(END)) done();
      };
      const onStderr = (chunk: string) => (stderr += chunk);
      const onClose = () => {
        this.child = undefined;
        void this.problemOf(stderr).then((problem) =>
          done(
            new Error(
              problem ?? `${this.where}: the sensor reader ended (${stderr.trim().split('\n').at(-1) || `exit status ${child.exitCode ?? child.signalCode}`})`,
            ),
          ),
        );
      };
      const timer = setTimeout(() => {
        // A reader that stopped answering is ended; the next request starts a new one.
        child.kill('SIGKILL');
        this.child = undefined;
        done(new Error(`${this.where} did not answer a read of its sensors within ${this.timeoutMs / 1000} s`));
      }, this.timeoutMs);
      timer.unref();
      child.stdout.on('data', onData);
      child.stderr.on('data', onStderr);
      child.once('close', onClose);
      child.stdin.write(`${paths.join('\n')}\n\n`);
    });
  }
}

type Handle = { ref?: () => void; unref?: () => void };
const handles = (child: ChildProcessWithoutNullStreams) => [child, child.stdin, child.stdout, child.stderr] as unknown as Handle[];
/** Keeps the event loop alive while an answer is awaited: a run waiting on the board must not end as if nothing were pending. */
const busy = (child: ChildProcessWithoutNullStreams) => handles(child).forEach((h) => h.ref?.());
const idle = (child: ChildProcessWithoutNullStreams) => handles(child).forEach((h) => h.unref?.());
