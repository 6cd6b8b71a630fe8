// A structural diff of two task definitions that a person can read in a plan or a report:
// one line per changed leaf, with paths that name things (`containerDefinitions[web]`,
// `environment.PORT`) instead of array indexes wherever ECS gives them names.

import type { TaskDefinitionInput } from './task-definition.ts';

type Scalar = string | number | boolean | null;
export type DiffValue = Scalar | Scalar[];

/** One changed leaf; `before` is undefined for an addition, `after` for a removal. */
export interface DiffLine {
  path: string;
  before: DiffValue | undefined;
  after: DiffValue | undefined;
}

export const REDACTED = '***';
const SECRET_NAME = /(secret|token|password|passwd|key|credential)/i;

/** Whether an environment variable's name suggests its value must not be printed. */
export const looksSecret = (name: string): boolean => SECRET_NAME.test(name);

const isScalar = (v: unknown): v is Scalar => v === null || ['string', 'number', 'boolean'].includes(typeof v);
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const hasOnlyKeys = (o: Record<string, unknown>, keys: string[]) => Object.keys(o).every((k) => keys.includes(k));

// Lists of {name, value} (environment), {name, valueFrom} (secrets) and {key, value} (tags)
// read as maps. A later duplicate wins, as it does for the container's environment.
const MAP_SHAPES = [
  { key: 'name', value: 'value' },
  { key: 'name', value: 'valueFrom' },
  { key: 'key', value: 'value' },
];

type Child = [path: string, value: unknown];

/** A value's children with their paths, or undefined when the value is a leaf. */
const children = (value: unknown, path: string): Child[] | undefined => {
  const at = (key: string) => (path === '' ? key : `${path}.${key}`);
  if (isRecord(value)) return Object.entries(value).map(([k, v]) => [at(k), v]);
  if (!Array.isArray(value)) return undefined;
  // ECS reads an empty list like an absent one, and DescribeTaskDefinition fills absent lists
  // with [], so neither side of that difference is worth a line.
  if (value.length === 0) return [];
  if (value.every(isScalar)) return undefined;
  if (value.every(isRecord)) {
    const shape = MAP_SHAPES.find((s) => value.every((o) => typeof o[s.key] === 'string' && hasOnlyKeys(o, [s.key, s.value])));
    if (shape) return value.map((o) => [at(o[shape.key] as string), o[shape.value]]);
    const names = value.map((o) => o.name);
    if (names.every((n) => typeof n === 'string') && new Set(names).size === names.length) {
      return value.map((o) => [`${path}[${String(o.name)}]`, o]);
    }
  }
  return value.map((v, i) => [`${path}[${i}]`, v]);
};

const sameLeaf = (a: unknown, b: unknown): boolean =>
  Array.isArray(a) && Array.isArray(b) ? a.length === b.length && a.every((v, i) => v === b[i]) : a === b;

const walk = (path: string, a: unknown, b: unknown, out: DiffLine[]): void => {
  const ca = children(a, path);
  const cb = children(b, path);
  if (ca === undefined && cb === undefined) {
    if (!sameLeaf(a, b)) out.push({ path, before: a as DiffValue | undefined, after: b as DiffValue | undefined });
    return;
  }
  // A leaf facing a structure (or nothing) is compared as a child at its own path.
  const before = new Map(ca ?? (a === undefined ? [] : [[path, a]]));
  const after = new Map(cb ?? (b === undefined ? [] : [[path, b]]));
  for (const key of new Set([...before.keys(), ...after.keys()])) walk(key, before.get(key), after.get(key), out);
};

/** The changed leaves from `a` to `b`, in `a`'s order with additions after their siblings. */
export const diffTaskDefinitions = (a: TaskDefinitionInput, b: TaskDefinitionInput): DiffLine[] => {
  const out: DiffLine[] = [];
  walk('', a, b, out);
  return out;
};

const ENVIRONMENT_ENTRY = /\.environment\.([^.]+)$/;

/**
 * The lines with secret-looking environment values replaced by `***`: environment values are
 * plain text in a task definition, so a name is the only hint that one is a credential. Secrets'
 * valueFrom is a reference, not a value, and stays. Use it before a diff is written anywhere.
 */
export const redactDiff = (lines: DiffLine[]): DiffLine[] =>
  lines.map((line) => {
    const variable = ENVIRONMENT_ENTRY.exec(line.path)?.[1];
    if (variable === undefined || !looksSecret(variable)) return line;
    const hide = (v: DiffValue | undefined) => (v === undefined ? undefined : REDACTED);
    return { path: line.path, before: hide(line.before), after: hide(line.after) };
  });

const render = (value: DiffValue): string => (typeof value === 'string' ? value : JSON.stringify(value));

/** `- path: before` and `+ path: after` lines, redacted as redactDiff does. */
export const formatDiff = (lines: DiffLine[]): string =>
  redactDiff(lines)
    .flatMap(({ path, before, after }) => [
      ...(before === undefined ? [] : [`- ${path}: ${render(before)}`]),
      ...(after === undefined ? [] : [`+ ${path}: ${render(after)}`]),
    ])
    .join('\n');
