// YAML files checked against a zod schema, with errors that name the file, line, column and
// field, so a user can fix the file without reading a stack trace.

import { isNode, LineCounter, parseDocument, type Document } from 'yaml';
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

const fieldName = (path: readonly PathKey[]): string =>
  path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('');

/** The position of the deepest node that exists on the path (the parent when a key is missing). */
const positionOf = (doc: Document, lines: LineCounter, path: readonly PathKey[]): { line: number; col: number } | undefined => {
  for (let depth = path.length; depth >= 0; depth--) {
    const node = depth === 0 ? doc.contents : doc.getIn(path.slice(0, depth) as (string | number)[], true);
    if (isNode(node) && node.range) return lines.linePos(node.range[0]);
  }
  return undefined;
};

export const parseYaml = <S extends z.ZodType>(text: string, file: string, schema: S): z.infer<S> => {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const syntax = doc.errors[0];
  if (syntax) {
    const pos = syntax.linePos?.[0];
    throw new ConfigError(file, pos?.line, pos?.col, undefined, syntax.message.split('\n')[0] ?? 'invalid YAML');
  }
  const result = schema.safeParse(doc.toJS() ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  if (!issue) throw new ConfigError(file, undefined, undefined, undefined, 'invalid');
  const pos = positionOf(doc, lines, issue.path);
  throw new ConfigError(file, pos?.line, pos?.col, issue.path.length ? fieldName(issue.path) : undefined, issue.message);
};
