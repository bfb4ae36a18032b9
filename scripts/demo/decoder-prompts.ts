import { generateUtterances } from './intents.ts';

/** Chat-style prompts for the demo decoder: the model's tokenizer.json turns them into token ids. */
export function decoderPromptExamples(count: number, seed: number): { id: string; text: string }[] {
  return generateUtterances(count, seed, 'prompt').map((utterance) => ({ id: utterance.id, text: `user: ${utterance.text}\nassistant:` }));
}
