import { afterAll, describe, expect, it } from 'vitest';
import { loadDataset, promptText } from '../../harness/plan/dataset.ts';
import { tempProject } from '../helpers/project.ts';

const project = await tempProject();
afterAll(() => project.cleanup());

const load = async (lines: unknown[]) => loadDataset(await project.write('data.jsonl', lines.map((l) => JSON.stringify(l)).join('\n')), 'suite.yaml');

describe('dataset lines that give a prompt or a conversation', () => {
  it('keeps prompt and messages apart from the other fields', async () => {
    const dataset = await load([
      { id: 'p', prompt: 'Hi', reference: 'Hello' },
      {
        id: 'm',
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'Hi' },
        ],
      },
    ]);
    const [p, m] = dataset.examples;
    expect(p).toMatchObject({ id: 'p', prompt: 'Hi', fields: { reference: 'Hello' } });
    expect(p!.fields).not.toHaveProperty('prompt');
    expect(m!.messages).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Hi' },
    ]);
    expect(promptText(p!)).toBe('Hi');
    expect(promptText(m!)).toBe('Be brief.\nHi');
  });

  it('refuses a line with both, a message without content, and an empty conversation', async () => {
    await expect(load([{ prompt: 'a', messages: [{ role: 'user', content: 'b' }] }])).rejects.toThrow(
      /data\.jsonl:1: messages: the line has both "prompt" and "messages"/,
    );
    await expect(load([{ messages: [{ role: 'user' }] }])).rejects.toThrow(/data\.jsonl:1: messages\[0\]\.content/);
    await expect(load([{ messages: [] }])).rejects.toThrow(/data\.jsonl:1: messages/);
    await expect(load([{ id: 'x' }])).rejects.toThrow(/none of "inputs", "text", "prompt" or "messages"/);
  });
});
