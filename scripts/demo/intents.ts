import { pick, seededRandom } from './random.ts';

/**
 * Template-generated assistant utterances: each intent has phrasings with slots
 * (time, party size, city, ...), plus out-of-scope requests the assistant should decline.
 */
const SLOTS: Record<string, readonly string[]> = {
  time: ['7 pm', 'noon', 'tomorrow morning', '8:30', 'tonight', 'friday evening', '6 am', 'monday at 9'],
  party: ['two', 'four', '3', '6', 'five people', 'a party of eight', 'ten'],
  city: ['paris', 'berlin', 'tokyo', 'new york', 'lagos', 'lima', 'oslo', 'mumbai', 'sydney'],
  song: ['some jazz', 'the new album', 'my workout playlist', 'relaxing piano', 'classic rock'],
  item: ['milk', 'eggs', 'batteries', 'coffee beans', 'a birthday card', 'dog food'],
  duration: ['5 minutes', 'ten minutes', 'half an hour', '90 seconds', 'an hour'],
  contact: ['mum', 'alex', 'the office', 'dr lee', 'my sister'],
  amount: ['20 euros', '$50', '100 dollars', '15 pounds'],
  currency: ['yen', 'dollars', 'euros', 'rupees', 'pounds'],
};

export const INTENTS: Record<string, readonly string[]> = {
  book_table: ['book a table for {party} at {time}', 'reserve dinner for {party} {time}', 'get me a table for {party} people at {time}', 'can you book a restaurant for {party} at {time}'],
  weather: ['what is the weather in {city}', 'will it rain in {city} {time}', 'how hot is it in {city}', 'forecast for {city} {time}'],
  set_alarm: ['set an alarm for {time}', 'wake me up at {time}', 'alarm at {time} please', 'i need an alarm {time}'],
  set_timer: ['set a timer for {duration}', 'start a {duration} timer', 'countdown {duration}', 'timer {duration} please'],
  play_music: ['play {song}', 'put on {song}', 'i want to hear {song}', 'start playing {song}'],
  shopping_list: ['add {item} to my shopping list', 'put {item} on the list', 'remember to buy {item}', 'we need {item}'],
  call_contact: ['call {contact}', 'phone {contact} now', 'ring {contact}', 'start a call with {contact}'],
  send_money: ['send {amount} to {contact}', 'transfer {amount} to {contact}', 'pay {contact} {amount}', 'give {contact} {amount}'],
  currency_convert: ['convert {amount} to {currency}', 'how much is {amount} in {currency}', '{amount} in {currency}', 'exchange {amount} into {currency}'],
  travel_time: ['how long to drive to {city}', 'travel time to {city} {time}', 'how far is {city}', 'when would i reach {city} if i leave {time}'],
  out_of_scope: ['tell me a joke about {city}', 'what is the meaning of life', 'who won the match {time}', 'write a poem about {song}', 'how do i fix my bike', 'explain quantum physics'],
};

export const LABELS = Object.keys(INTENTS);

export interface Utterance {
  id: string;
  text: string;
  label: string;
}

/** A fixed train/test split: the same seed always gives the same examples. */
export function generateUtterances(count: number, seed: number, prefix: string): Utterance[] {
  const random = seededRandom(seed);
  const out: Utterance[] = [];
  for (let i = 0; i < count; i++) {
    const label = LABELS[i % LABELS.length]!;
    const text = pick(random, INTENTS[label]!).replace(/\{(\w+)\}/g, (_, slot: string) => pick(random, SLOTS[slot]!));
    out.push({ id: `${prefix}-${String(i).padStart(4, '0')}`, text, label });
  }
  return out;
}

export const PAD = '<pad>';
export const UNK = '<unk>';

export function words(text: string): string[] {
  return text.toLowerCase().match(/[a-z0-9$:]+/g) ?? [];
}

/** Word-level vocabulary over every template and slot value; id 0 is padding, 1 unknown. */
export function buildVocabulary(): string[] {
  const all = new Set<string>();
  for (const templates of Object.values(INTENTS)) for (const t of templates) for (const w of words(t.replace(/\{\w+\}/g, ' '))) all.add(w);
  for (const values of Object.values(SLOTS)) for (const v of values) for (const w of words(v)) all.add(w);
  return [PAD, UNK, ...[...all].sort()];
}

export function tokenize(text: string, vocabulary: readonly string[]): number[] {
  const index = new Map(vocabulary.map((w, i) => [w, i]));
  return words(text).map((w) => index.get(w) ?? 1);
}
