import { describe, expect, it } from 'vitest';
import { escapeHtml, jsonForScript, scriptSource } from '../../../harness/report/html/escape.ts';

describe('HTML escaping', () => {
  it('escapes the five characters HTML gives meaning to', () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
    expect(escapeHtml('plain text, 100%')).toBe('plain text, 100%');
  });

  it('embeds JSON that cannot end its script element and reads back unchanged', () => {
    const value = { text: '</script><script>alert(1)</script>', comment: '<!-- x -->', separators: 'a\u2028b\u2029c' };
    const embedded = jsonForScript(value);
    expect(embedded).not.toMatch(/<\/script/i);
    expect(embedded).not.toContain('<!--');
    expect(JSON.parse(embedded)).toEqual(value);
  });

  it('keeps an inlined library from closing its own script element', () => {
    const source = scriptSource('var s = "</script>"; var t = "</SCRIPT >"; var c = "<!--";');
    expect(source).not.toMatch(/<\/script/i);
    expect(source).not.toContain('<!--');
  });
});
