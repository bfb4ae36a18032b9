import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { onnxruntimeNode } from '../../harness/runtimes/onnxruntime-node.ts';
import { tensor } from '../../harness/runtimes/tensor.ts';
import { taskRunners } from '../../harness/tasks/registry.ts';
import { stopTokenCheck } from '../../harness/tasks/stop-tokens.ts';
import { OPTIONS } from '../helpers/runtime-tasks.ts';

describe('stop tokens', () => {
  it('any of several stop ids ends a generation', () => {
    const isStop = stopTokenCheck([457, 460]);
    expect([456, 457, 458, 459, 460].map(isStop)).toEqual([false, true, false, false, true]);
    expect(stopTokenCheck([])(0)).toBe(false);
  });

  it('the generate task stops at whichever listed id comes first, and records an empty generation when it comes first', async () => {
    const session = await onnxruntimeNode.load({ location: join(import.meta.dirname, '..', 'fixtures', 'models', 'llama-tjs', 'onnx', 'model.onnx') }, OPTIONS);
    const prompt = [457, 5, 17, 42, 9];
    const generate = async (stopTokenIds: number[]) => {
      const task = taskRunners.generate(session, { kind: 'generate', maxNewTokens: 8, stopTokenIds });
      const result = await task.iterate(
        { id: 'p', feeds: session.prepare({ input_ids: tensor('int64', BigInt64Array.from(prompt, BigInt), [1, prompt.length]) }) },
        true,
      );
      if (result.output?.kind !== 'generate') throw new Error('expected a generate output');
      return result;
    };
    try {
      const free = (await generate([])).output!;
      if (free.kind !== 'generate') throw new Error('expected a generate output');
      expect(free.tokenIds).toHaveLength(8);
      const [first, , third] = free.tokenIds as [number, number, number];
      // A list of stop ids, the one that matters last in it: generation ends before the first stop token.
      const stopped = (await generate([0, third])).output!;
      if (stopped.kind !== 'generate') throw new Error('expected a generate output');
      expect(stopped.tokenIds).toEqual(
        free.tokenIds.slice(
          0,
          free.tokenIds.findIndex((t) => t === 0 || t === third),
        ),
      );
      expect(stopped.tokenIds.length).toBeLessThanOrEqual(2);
      // The model's first token is a stop id: nothing generated, and no decode step.
      const empty = await generate([458, first]);
      if (empty.output?.kind !== 'generate') throw new Error('expected a generate output');
      expect(empty.output.tokenIds).toEqual([]);
      expect(empty.decodeMs).toEqual([]);
    } finally {
      await session.release();
    }
  });
});
