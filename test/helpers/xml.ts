/** An element of a parsed XML document: its name, attributes (entities decoded), child elements and text. */
export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decode(value: string): string {
  return value.replace(/&([^;]*);?/g, (whole, entity: string) => {
    if (!whole.endsWith(';')) throw new Error(`bare & in ${JSON.stringify(value)}`);
    if (entity in ENTITIES) return ENTITIES[entity]!;
    const code = /^#x([0-9a-fA-F]+)$/.exec(entity)?.[1] ?? /^#(\d+)$/.exec(entity)?.[1];
    if (code === undefined) throw new Error(`unknown entity &${entity};`);
    return String.fromCodePoint(entity.startsWith('#x') ? parseInt(code, 16) : Number(code));
  });
}

/**
 * A small XML 1.0 parser, strict enough to reject what a real one would for the
 * documents edgebench writes: balanced elements, quoted attributes without "<"
 * or a bare "&", only the predefined and numeric entities, no characters XML
 * forbids, no text outside the root. Throws on anything else.
 */
export function parseXml(xml: string): XmlElement {
  if (/[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u.test(xml)) throw new Error('a character XML 1.0 forbids');
  const body = xml.replace(/^<\?xml [^?]*\?>/, '');
  const root: XmlElement = { name: '', attributes: {}, children: [], text: '' };
  const stack = [root];
  const token = /<(\/?)([A-Za-z][\w.-]*)((?:\s+[\w.-]+="[^"<]*")*)\s*(\/?)>|([^<]+)/gy;
  let match: RegExpExecArray | null;
  let consumed = 0;
  while ((match = token.exec(body)) !== null) {
    consumed = token.lastIndex;
    const [, closing, name, attributes, selfClosing, text] = match;
    const parent = stack.at(-1)!;
    if (text !== undefined) {
      if (text.includes('>')) throw new Error(`unescaped > in ${JSON.stringify(text)}`);
      if (parent === root && text.trim() !== '') throw new Error(`text outside the root element: ${JSON.stringify(text)}`);
      parent.text += decode(text);
    } else if (closing) {
      if (stack.pop()?.name !== name || stack.length === 0) throw new Error(`</${name}> closes nothing open`);
    } else {
      const element: XmlElement = { name: name!, attributes: {}, children: [], text: '' };
      for (const [, key, value] of attributes!.matchAll(/([\w.-]+)="([^"]*)"/g)) element.attributes[key!] = decode(value!);
      parent.children.push(element);
      if (!selfClosing) stack.push(element);
    }
  }
  if (consumed !== body.length) throw new Error(`unparsed markup at ${JSON.stringify(body.slice(consumed, consumed + 40))}`);
  if (stack.length !== 1) throw new Error(`<${stack.at(-1)!.name}> is not closed`);
  if (root.children.length !== 1) throw new Error(`${root.children.length} root elements`);
  return root.children[0]!;
}

/** Every element named `name` at or below `element`, in document order. */
export function elementsNamed(element: XmlElement, name: string): XmlElement[] {
  return [...(element.name === name ? [element] : []), ...element.children.flatMap((child) => elementsNamed(child, name))];
}
