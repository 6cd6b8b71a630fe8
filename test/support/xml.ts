// A minimal XML reader for the report tests: it throws on anything that is not well-formed
// (unbalanced or crossed tags, bare `<` or `&` in text, unquoted or duplicate attributes, more
// than one root, stray text outside the root) and gives back a small tree to query. It covers
// what the reports produce: the XML declaration, comments, elements, attributes and text with
// the five named entities and numeric references. No DTDs, no CDATA, no namespaces resolved.

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: Array<XmlElement | string>;
}

const NAME = /^[A-Za-z_:][A-Za-z0-9_:.-]*/;
const ENTITY = /&(?:(amp|lt|gt|quot|apos)|#([0-9]+)|#x([0-9a-fA-F]+));/y;
const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

const decode = (raw: string, where: string): string => {
  let out = '';
  for (let i = 0; i < raw.length; ) {
    const c = raw[i]!;
    if (c === '<') throw new Error(`bare '<' in ${where}: ${JSON.stringify(raw.slice(Math.max(0, i - 20), i + 20))}`);
    if (c !== '&') {
      out += c;
      i++;
      continue;
    }
    ENTITY.lastIndex = i;
    const m = ENTITY.exec(raw);
    if (!m) throw new Error(`bare '&' in ${where}: ${JSON.stringify(raw.slice(Math.max(0, i - 20), i + 20))}`);
    out += m[1] ? NAMED[m[1]]! : String.fromCodePoint(m[2] ? Number(m[2]) : parseInt(m[3]!, 16));
    i = ENTITY.lastIndex;
  }
  // Characters XML 1.0 forbids, escaped or not.
  if (/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/.test(out)) throw new Error(`control character in ${where}`);
  return out;
};

export const parseXml = (xml: string): XmlElement => {
  let i = 0;
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  const fail = (message: string): never => {
    const line = xml.slice(0, i).split('\n').length;
    throw new Error(`${message} (line ${line}: ${JSON.stringify(xml.slice(i, i + 60))})`);
  };
  if (xml.startsWith('<?xml')) {
    const end = xml.indexOf('?>');
    if (end < 0) fail('unterminated XML declaration');
    i = end + 2;
  }
  while (i < xml.length) {
    const lt = xml.indexOf('<', i);
    const textEnd = lt < 0 ? xml.length : lt;
    const raw = xml.slice(i, textEnd);
    if (raw.length > 0) {
      const content = decode(raw, 'text');
      const parent = stack.at(-1);
      if (parent) parent.children.push(content);
      else if (content.trim()) fail('text outside the root element');
    }
    if (lt < 0) break;
    i = lt;
    if (xml.startsWith('<!--', i)) {
      const end = xml.indexOf('-->', i + 4);
      if (end < 0) fail('unterminated comment');
      if (xml.slice(i + 4, end).includes('--')) fail("'--' inside a comment");
      i = end + 3;
      continue;
    }
    if (xml.startsWith('<!', i) || xml.startsWith('<?', i)) fail('DTDs, CDATA and processing instructions are not expected here');
    if (xml.startsWith('</', i)) {
      i += 2;
      const name = NAME.exec(xml.slice(i))?.[0] ?? fail('bad closing tag');
      i += name.length;
      while (/\s/.test(xml[i] ?? '')) i++;
      if (xml[i] !== '>') fail('bad closing tag');
      i++;
      const open = stack.pop() ?? fail(`closing </${name}> without an open element`);
      if (open.name !== name) fail(`closing </${name}> while <${open.name}> is open`);
      continue;
    }
    i++;
    const name = NAME.exec(xml.slice(i))?.[0] ?? fail('bad tag name');
    i += name.length;
    const element: XmlElement = { name, attrs: {}, children: [] };
    for (;;) {
      const space = /^\s*/.exec(xml.slice(i))![0].length;
      i += space;
      if (xml.startsWith('/>', i)) {
        i += 2;
        break;
      }
      if (xml[i] === '>') {
        i++;
        stack.push(element);
        break;
      }
      if (space === 0) fail('attributes must be separated by white space');
      const attr = NAME.exec(xml.slice(i))?.[0] ?? fail('bad attribute name');
      i += attr.length;
      if (xml[i] !== '=') fail(`attribute ${attr} without a value`);
      i++;
      const quote = xml[i];
      if (quote !== '"' && quote !== "'") fail(`attribute ${attr} is not quoted`);
      const end = xml.indexOf(quote!, i + 1);
      if (end < 0) fail(`unterminated attribute ${attr}`);
      if (attr in element.attrs) fail(`duplicate attribute ${attr}`);
      element.attrs[attr] = decode(xml.slice(i + 1, end), `attribute ${attr}`);
      i = end + 1;
    }
    const parent = stack.at(-1) === element ? stack.at(-2) : stack.at(-1);
    if (parent) parent.children.push(element);
    else if (root) fail('a second root element');
    else root = element;
  }
  if (stack.length > 0) throw new Error(`unclosed elements: ${stack.map((e) => `<${e.name}>`).join(' ')}`);
  if (!root) throw new Error('no root element');
  return root;
};

/** Every element named `name` under (and including) `root`, in document order. */
export const findAll = (root: XmlElement, name: string): XmlElement[] => [
  ...(root.name === name ? [root] : []),
  ...root.children.flatMap((c) => (typeof c === 'string' ? [] : findAll(c, name))),
];

/** The text content, decoded: what a viewer shows. */
export const textOf = (element: XmlElement): string => element.children.map((c) => (typeof c === 'string' ? c : textOf(c))).join('');

/** The element's own text, without its children's (an SVG <text> without its <title> tooltip). */
export const ownText = (element: XmlElement): string => element.children.filter((c): c is string => typeof c === 'string').join('');
