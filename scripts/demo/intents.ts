import { pick, seededRandom } from './random.ts';

/**
 * Template-generated assistant utterances: each intent has phrasings with slots
 * (time, party size, city, ...), plus out-of-scope requests the assistant should decline.
 */
const SLOTS: Record<string, readonly string[]> = {
  time: [
    '7 pm',
    'noon',
    'tomorrow morning',
    '8:30',
    'tonight',
    'friday evening',
    '6 am',
    'monday at 9',
    '9:15',
    'sunday afternoon',
    'next tuesday',
    '7:45',
    'half past six',
    'this weekend',
  ],
  party: ['two', 'four', '3', '6', 'five people', 'a party of eight', 'ten', 'twelve', 'me and my wife', 'the whole team', '2 adults and a child'],
  city: ['paris', 'berlin', 'tokyo', 'new york', 'lagos', 'lima', 'oslo', 'mumbai', 'sydney', 'cairo', 'toronto', 'seoul', 'madrid', 'nairobi', 'the airport'],
  song: [
    'some jazz',
    'the new album',
    'my workout playlist',
    'relaxing piano',
    'classic rock',
    'something upbeat',
    'the beatles',
    'lofi beats',
    'that song from yesterday',
    'christmas music',
  ],
  item: [
    'milk',
    'eggs',
    'batteries',
    'coffee beans',
    'a birthday card',
    'dog food',
    'olive oil',
    'toilet paper',
    'two lemons',
    'bread',
    'rice',
    'washing up liquid',
  ],
  duration: [
    '5 minutes',
    'ten minutes',
    'half an hour',
    '90 seconds',
    'an hour',
    '3 minutes',
    'twenty minutes',
    'forty five seconds',
    '2 hours',
    'a quarter of an hour',
  ],
  contact: ['mum', 'alex', 'the office', 'dr lee', 'my sister', 'dad', 'grandma', 'sam', 'the plumber', 'my boss', 'jordan'],
  amount: ['20 euros', '$50', '100 dollars', '15 pounds', '5 bucks', '200 yen', '$12.50', 'a hundred euros', '30 rupees'],
  currency: ['yen', 'dollars', 'euros', 'rupees', 'pounds', 'swiss francs', 'pesos', 'canadian dollars', 'won'],
};

/**
 * Templates overlap on purpose (give, time, book, what is ... in), and out_of_scope holds
 * near misses such as flights and clocks, so a classifier has to weigh words, not spot one.
 */
export const INTENTS: Record<string, readonly string[]> = {
  book_table: [
    'book a table for {party} at {time}',
    'reserve dinner for {party} {time}',
    'get me a table for {party} people at {time}',
    'can you book a restaurant for {party} at {time}',
    'table for {party} {time} please',
    'i would like to reserve a table for {party} {time}',
  ],
  weather: [
    'what is the weather in {city}',
    'will it rain in {city} {time}',
    'how hot is it in {city}',
    'forecast for {city} {time}',
    'do i need an umbrella in {city} {time}',
    'what is the temperature in {city} {time}',
  ],
  set_alarm: [
    'set an alarm for {time}',
    'wake me up at {time}',
    'alarm at {time} please',
    'i need an alarm {time}',
    'please wake me {time}',
    'can you set my alarm to {time}',
  ],
  set_timer: [
    'set a timer for {duration}',
    'start a {duration} timer',
    'countdown {duration}',
    'timer {duration} please',
    'let me know when {duration} is up',
    'time {duration} for me',
  ],
  play_music: ['play {song}', 'put on {song}', 'i want to hear {song}', 'start playing {song}', 'can you play me {song}', 'shuffle {song}'],
  shopping_list: [
    'add {item} to my shopping list',
    'put {item} on the list',
    'remember to buy {item}',
    'we need {item}',
    'we are out of {item}',
    'add {item} to the groceries',
  ],
  call_contact: ['call {contact}', 'phone {contact} now', 'ring {contact}', 'start a call with {contact}', 'give {contact} a call', 'dial {contact} for me'],
  send_money: [
    'send {amount} to {contact}',
    'transfer {amount} to {contact}',
    'pay {contact} {amount}',
    'give {contact} {amount}',
    'wire {amount} to {contact}',
    'i owe {contact} {amount} send it',
  ],
  currency_convert: [
    'convert {amount} to {currency}',
    'how much is {amount} in {currency}',
    '{amount} in {currency}',
    'exchange {amount} into {currency}',
    'what is {amount} worth in {currency}',
    'change {amount} to {currency}',
  ],
  travel_time: [
    'how long to drive to {city}',
    'travel time to {city} {time}',
    'how far is {city}',
    'when would i reach {city} if i leave {time}',
    'how long does it take to get to {city}',
    'what is the traffic like to {city} {time}',
  ],
  out_of_scope: [
    'tell me a joke about {city}',
    'what is the meaning of life',
    'who won the match {time}',
    'write a poem about {song}',
    'how do i fix my bike',
    'explain quantum physics',
    'book a flight to {city} {time}',
    'what time is it in {city}',
    'who sings {song}',
    'how many calories are in {item}',
    'what is the capital of {city}',
    'translate {item} into french',
  ],
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

/**
 * Typing errors, as users make them: in about `share` of the utterances, up to
 * two words get two neighbouring letters swapped. A swapped word is out of the
 * vocabulary, so the model must decide from the words that are left: this is
 * what gives the test split its hard cases, and the router something to route.
 */
export function withTypos(utterances: readonly Utterance[], share: number, seed: number): Utterance[] {
  const random = seededRandom(seed);
  return utterances.map((utterance) => {
    if (random() >= share) return utterance;
    const tokens = utterance.text.split(' ');
    for (let typo = 0; typo < 2; typo++) {
      const index = Math.floor(random() * tokens.length);
      const word = tokens[index]!;
      if (word.length < 3) continue;
      const at = Math.floor(random() * (word.length - 1));
      tokens[index] = word.slice(0, at) + word[at + 1] + word[at] + word.slice(at + 2);
    }
    return { ...utterance, text: tokens.join(' ') };
  });
}
