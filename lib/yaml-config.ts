// YAML files checked against a zod schema, with errors that name the file, line, column and
// field, so a user can fix the file without reading a stack trace.

import { isAlias, isCollection, isMap, isNode, isPair, isScalar, LineCounter, parseDocument, visit, type Document, type Node } from 'yaml';
import type { z } from 'zod';

export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    readonly column: number | undefined,
    readonly field: string | undefined,
    readonly detail: string,
  ) {
    const where = line === undefined ? file : `${file}:${line}:${column ?? 1}`;
    super(`${where}: ${field ? `${field}: ` : ''}${detail}`);
    this.name = 'ConfigError';
  }
}

type PathKey = string | number | symbol;
type Position = { line: number; col: number };

/** Config files are a few levels deep; past this the parser and toJS would recurse toward a stack overflow. */
export const MAX_DEPTH = 64;
/** Values after aliases are expanded: bounds what a small file can make validation walk (alias bombs). */
export const MAX_VALUES = 100_000;

/** A key that would read ambiguously after a dot (empty, dotted, spaced) is quoted: services[""]. */
const keyPart = (key: string, first: boolean): string =>
  /^[^\s."'[\]]+$/.test(key) ? (first ? key : `.${key}`) : `[${JSON.stringify(key)}]`;

const fieldName = (path: readonly PathKey[]): string =>
  path.map((p, i) => (typeof p === 'number' ? `[${p}]` : keyPart(String(p), i === 0))).join('');

const START: Position = { line: 1, col: 1 };

/** The position of the deepest node that exists on the path (the parent when a key is missing). */
const positionOf = (doc: Document, lines: LineCounter, path: readonly PathKey[]): Position => {
  for (let depth = path.length; depth >= 0; depth--) {
    const node = depth === 0 ? doc.contents : doc.getIn(path.slice(0, depth) as (string | number)[], true);
    if (isNode(node) && node.range) return lines.linePos(node.range[0]);
  }
  // An empty file (or one with only comments) has no node at all: its start is where to add fields.
  return START;
};

/** toJS turns every key into a string (null into ""), so keys are compared the same way. */
const keyText = (value: unknown): string => (value === null || value === undefined ? '' : String(value));

/** The position of a key itself, so an unknown field points at its own line rather than its parent's. */
const keyPositionOf = (doc: Document, lines: LineCounter, parent: readonly PathKey[], key: string): Position => {
  const map = parent.length === 0 ? doc.contents : doc.getIn(parent as (string | number)[], true);
  const pair = isMap(map) ? map.items.find((p) => isScalar(p.key) && keyText(p.key.value) === key) : undefined;
  return isNode(pair?.key) && pair.key.range ? lines.linePos(pair.key.range[0]) : positionOf(doc, lines, parent);
};

/** Line and column of a string index, counting lines as the yaml parser does (by \n). */
const positionAt = (text: string, index: number): Position => {
  let line = 1;
  let start = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < index; i = text.indexOf('\n', i + 1)) {
    line++;
    start = i + 1;
  }
  return { line, col: index - start + 1 };
};

const codePoint = (cp: number) => `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;

/**
 * The text of a config file's bytes. A file that is not UTF-8 is refused at its first bad byte:
 * decoding it anyway would put replacement characters into values without a word. A leading
 * byte order mark is dropped so that columns match what an editor shows.
 */
export const decodeConfig = (bytes: Uint8Array, file: string): string => {
  const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes);
  if (text.includes('\uFFFD')) {
    // Everything before the first bad byte decoded exactly, so byte and string offsets advance together.
    for (let i = 0, offset = 0; i < text.length; ) {
      const cp = text.codePointAt(i)!;
      if (cp === 0xfffd && !(bytes[offset] === 0xef && bytes[offset + 1] === 0xbf && bytes[offset + 2] === 0xbd)) {
        const pos = positionAt(text.replace(/^\uFEFF/, ''), text.startsWith('\uFEFF') ? i - 1 : i);
        const byte = (bytes[offset] ?? 0).toString(16).toUpperCase().padStart(2, '0');
        throw new ConfigError(file, pos.line, pos.col, undefined, `not UTF-8: byte 0x${byte} here is not text; save the file as UTF-8`);
      }
      offset += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
      i += cp > 0xffff ? 2 : 1;
    }
  }
  return text.replace(/^\uFEFF/, '');
};

/**
 * YAML allows only printable characters (c-printable) in a file; the parser lets NUL and other
 * controls through into values, where they would reach ECS or a shell. A byte order mark may only
 * start the file.
 */
const notPrintable = /[^\t\n\r\x20-\x7E\x85\xA0-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]|\uFEFF/gu;

const checkCharacters = (text: string, file: string): void => {
  notPrintable.lastIndex = text.startsWith('\uFEFF') ? 1 : 0;
  const found = notPrintable.exec(text);
  if (!found) return;
  const pos = positionAt(text, found.index);
  const cp = found[0].codePointAt(0)!;
  const detail =
    cp === 0xfeff
      ? 'a byte order mark (U+FEFF) inside the file: remove it'
      : `character ${codePoint(cp)} is not allowed in YAML: remove it, or write it as an escape in a double-quoted string`;
  throw new ConfigError(file, pos.line, pos.col, undefined, detail);
};

const at = (file: string, lines: LineCounter, node: Node | null | undefined, detail: string): ConfigError => {
  const pos = isNode(node) && node.range ? lines.linePos(node.range[0]) : START;
  return new ConfigError(file, pos.line, pos.col, undefined, detail);
};

/**
 * What the schema cannot see once toJS has run: keys that are lists or maps (toJS would turn
 * them into strings with a process warning), aliases without an anchor or inside their own
 * anchor, nesting deep enough to overflow the stack, and alias bombs. One pass, without
 * recursion, in the parser's document order (a pair's key before its value).
 */
const checkNodes = (doc: Document, lines: LineCounter, file: string): void => {
  const root = doc.contents;
  if (!isNode(root)) return;
  const anchors = new Map<string, Node>();
  const sizes = new Map<Node, number>();
  type Frame = { node: Node; depth: number; children: Node[]; next: number; size: number };
  const stack: Frame[] = [];
  let total = 0;

  /** A leaf's size, or undefined after pushing a collection to walk. */
  const enter = (node: Node, depth: number): number | undefined => {
    if (depth > MAX_DEPTH) throw at(file, lines, node, `nested more than ${MAX_DEPTH} levels deep: a firedrill file needs a few levels at most`);
    if (node.anchor) anchors.set(node.anchor, node);
    if (isAlias(node)) {
      const target = anchors.get(node.source);
      if (!target) throw at(file, lines, node, `alias *${node.source} has no anchor &${node.source} before it`);
      const size = sizes.get(target);
      if (size === undefined) throw at(file, lines, node, `alias *${node.source} is inside the value it refers to (&${node.source}): a value cannot contain itself`);
      return size;
    }
    if (!isCollection(node)) return 1;
    const children: Node[] = [];
    for (const item of node.items as unknown[]) {
      if (isPair(item)) {
        if (isCollection(item.key) || isAlias(item.key)) {
          throw at(file, lines, item.key, `a key must be a plain name, not ${isAlias(item.key) ? 'an alias' : 'a list or mapping'}`);
        }
        if (isNode(item.key)) children.push(item.key);
        if (isNode(item.value)) children.push(item.value);
      } else if (isNode(item)) children.push(item);
    }
    stack.push({ node, depth, children, next: 0, size: 1 });
    return undefined;
  };

  /** Counts every value once per place it appears after expansion, so an alias costs its anchor's size. */
  const count = (node: Node, size: number) => {
    total += size;
    if (total <= MAX_VALUES) return;
    const why = isAlias(node) ? 'its aliases expand it to' : 'it holds';
    throw at(file, lines, node, `too large: ${why} more than ${MAX_VALUES} values (an alias bomb?); write the values out`);
  };

  const leaf = enter(root, 1);
  if (leaf !== undefined) return count(root, leaf);
  count(root, 1);
  while (stack.length > 0) {
    const frame = stack[stack.length - 1]!;
    const child = frame.children[frame.next++];
    if (child === undefined) {
      stack.pop();
      sizes.set(frame.node, frame.size);
      const parent = stack[stack.length - 1];
      if (parent) parent.size += frame.size;
      continue;
    }
    const size = enter(child, frame.depth + 1);
    if (size === undefined) count(child, 1);
    else {
      count(child, size);
      frame.size += size;
    }
  }
};

/** A parser problem in a user's words; the yaml library's own words otherwise. */
const syntaxDetail = (code: string, message: string): string => {
  const first = message.split('\n')[0]?.trim() || 'invalid YAML';
  if (code === 'RESOURCE_EXHAUSTION') return `nested too deeply to read (${first}): a firedrill file needs a few levels at most`;
  if (code === 'TAG_RESOLVE_FAILED') {
    const tag = /^Unresolved tag: (.*)$/.exec(first)?.[1]?.replace(/^tag:yaml\.org,2002:/, '!!');
    return `${tag ? `tag ${tag} cannot be used here` : first}: firedrill files take plain values (strings, numbers, booleans, lists, mappings); remove the tag`;
  }
  return first;
};

const parse = (text: string, file: string): { doc: Document; lines: LineCounter } => {
  checkCharacters(text, file);
  const lines = new LineCounter();
  // One dialect whatever the file's %YAML directive says: YAML 1.2 core, no merge keys, and no
  // tags such as !!binary or !!timestamp, whose Buffers, Dates and Sets no field takes.
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true, schema: 'core', merge: false, resolveKnownTags: false });
  // Warnings too: an unresolved tag or an unknown directive is a mistake in a config file, not a style note.
  const problem = doc.errors[0] ?? doc.warnings[0];
  if (problem) {
    // Without prettyErrors the error carries offsets only; the line counter turns them into a position.
    const pos = lines.linePos(problem.pos[0]);
    throw new ConfigError(file, pos.line, pos.col, undefined, syntaxDetail(problem.code, problem.message));
  }
  checkNodes(doc, lines, file);
  return { doc, lines };
};

/** Whether the value the schema saw has every key of the path. */
const present = (value: unknown, path: readonly PathKey[]): boolean => {
  let here = value;
  for (const key of path) {
    if (typeof here !== 'object' || here === null || !Object.hasOwn(here, key)) return false;
    here = (here as Record<PathKey, unknown>)[key];
  }
  return true;
};

const issueError = (file: string, doc: Document, lines: LineCounter, input: unknown, issue: z.core.$ZodIssue): ConfigError => {
  if (issue.code === 'unrecognized_keys' && issue.keys[0] !== undefined) {
    const key = issue.keys[0];
    const pos = keyPositionOf(doc, lines, issue.path, key);
    return new ConfigError(file, pos.line, pos.col, fieldName([...issue.path, key]), 'unknown field: check its spelling, or remove it');
  }
  const pos = positionOf(doc, lines, issue.path);
  const field = issue.path.length ? fieldName(issue.path) : undefined;
  // zod says "expected object, received undefined" for a field that is simply not there. The
  // schema's input decides, not the document: a field reached through an alias is not in the document's tree.
  if (issue.code === 'invalid_type' && issue.path.length > 0 && !present(input, issue.path)) {
    return new ConfigError(file, pos.line, pos.col, field, `required, but missing (expected ${issue.expected})`);
  }
  if (issue.code === 'invalid_type' && issue.path.length === 0) {
    return new ConfigError(file, pos.line, pos.col, field, `the file must be a mapping of fields (name: value): ${issue.message}`);
  }
  if (issue.code === 'invalid_key') {
    // The key is what is wrong, so the position is the key's rather than its value's.
    const key = keyPositionOf(doc, lines, issue.path.slice(0, -1), String(issue.path.at(-1) ?? ''));
    return new ConfigError(file, key.line, key.col, field, `invalid key: ${issue.issues[0]?.message ?? issue.message}`);
  }
  return new ConfigError(file, pos.line, pos.col, field, issue.message);
};

export const parseYaml = <S extends z.ZodType>(text: string, file: string, schema: S): z.infer<S> => {
  const { doc, lines } = parse(text, file);
  let input: unknown;
  try {
    input = doc.toJS() ?? {};
  } catch (error) {
    // checkNodes has refused unresolved and self-containing aliases; what is left is the yaml library's own alias limit.
    if (!(error instanceof ReferenceError)) throw error;
    let alias: Node | undefined;
    visit(doc, { Alias: (_key, node) => ((alias = node), visit.BREAK) });
    throw at(file, lines, alias, `too many aliases (an alias bomb?): ${error.message}; write the values out`);
  }
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  if (!issue) throw new ConfigError(file, START.line, START.col, undefined, 'invalid');
  throw issueError(file, doc, lines, input, issue);
};

/**
 * A ConfigError pointing at a field of a YAML text that already parsed, for rules a schema
 * cannot express: checks across fields, or against another file.
 */
export const configErrorAt = (text: string, file: string, path: readonly (string | number)[], detail: string): ConfigError => {
  const { doc, lines } = parse(text, file);
  const pos = positionOf(doc, lines, path);
  return new ConfigError(file, pos.line, pos.col, path.length ? fieldName(path) : undefined, detail);
};
