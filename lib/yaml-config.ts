// YAML files checked against a zod schema, with errors that name the file, line, column and
// field, so a user can fix the file without reading a stack trace.

import { isMap, isNode, isScalar, LineCounter, parseDocument, type Document } from 'yaml';
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

const fieldName = (path: readonly PathKey[]): string =>
  path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('');

/** The position of the deepest node that exists on the path (the parent when a key is missing). */
const positionOf = (doc: Document, lines: LineCounter, path: readonly PathKey[]): Position | undefined => {
  for (let depth = path.length; depth >= 0; depth--) {
    const node = depth === 0 ? doc.contents : doc.getIn(path.slice(0, depth) as (string | number)[], true);
    if (isNode(node) && node.range) return lines.linePos(node.range[0]);
  }
  return undefined;
};

/** The position of a key itself, so an unknown field points at its own line rather than its parent's. */
const keyPositionOf = (doc: Document, lines: LineCounter, parent: readonly PathKey[], key: string): Position | undefined => {
  const map = parent.length === 0 ? doc.contents : doc.getIn(parent as (string | number)[], true);
  const pair = isMap(map) ? map.items.find((p) => isScalar(p.key) && p.key.value === key) : undefined;
  return isNode(pair?.key) && pair.key.range ? lines.linePos(pair.key.range[0]) : positionOf(doc, lines, parent);
};

const parse = (text: string, file: string): { doc: Document; lines: LineCounter } => {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const syntax = doc.errors[0];
  if (syntax) {
    // Without prettyErrors the error carries offsets only; the line counter turns them into a position.
    const pos = lines.linePos(syntax.pos[0]);
    throw new ConfigError(file, pos.line, pos.col, undefined, syntax.message.split('\n')[0] ?? 'invalid YAML');
  }
  return { doc, lines };
};

const issueError = (file: string, doc: Document, lines: LineCounter, issue: z.core.$ZodIssue): ConfigError => {
  if (issue.code === 'unrecognized_keys' && issue.keys[0] !== undefined) {
    const key = issue.keys[0];
    const pos = keyPositionOf(doc, lines, issue.path, key);
    return new ConfigError(file, pos?.line, pos?.col, fieldName([...issue.path, key]), 'unknown field: check its spelling, or remove it');
  }
  const pos = positionOf(doc, lines, issue.path);
  const field = issue.path.length ? fieldName(issue.path) : undefined;
  // zod says "expected object, received undefined" for a field that is simply not there.
  const missing = issue.code === 'invalid_type' && issue.path.length > 0 && !doc.hasIn(issue.path as (string | number)[]);
  return new ConfigError(file, pos?.line, pos?.col, field, missing ? `required, but missing (expected ${issue.expected})` : issue.message);
};

export const parseYaml = <S extends z.ZodType>(text: string, file: string, schema: S): z.infer<S> => {
  const { doc, lines } = parse(text, file);
  const result = schema.safeParse(doc.toJS() ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  if (!issue) throw new ConfigError(file, undefined, undefined, undefined, 'invalid');
  throw issueError(file, doc, lines, issue);
};

/**
 * A ConfigError pointing at a field of a YAML text that already parsed, for rules a schema
 * cannot express: checks across fields, or against another file.
 */
export const configErrorAt = (text: string, file: string, path: readonly (string | number)[], detail: string): ConfigError => {
  const { doc, lines } = parse(text, file);
  const pos = positionOf(doc, lines, path);
  return new ConfigError(file, pos?.line, pos?.col, path.length ? fieldName(path) : undefined, detail);
};
