// Fuzzing the scenario and environment loaders: thousands of mutated and generated files, each of
// which must either load into a value the schema accepts again, or be refused with a ConfigError
// naming the file, a real line:column and what is wrong. A TypeError, a stack overflow, a hang
// on an alias bomb or a message without a position is a bug in the loader.
//
// Deterministic by default (a fixed seed, so CI sees the same cases every run). To explore, or to
// reproduce a failure printed with its seed: FIREDRILL_FUZZ_SEED=<seed> npx vitest run --project unit config-fuzz

import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { parse as parseYamlText, stringify } from 'yaml';
import type { z } from 'zod';
import { afterAll, describe, expect, it } from 'vitest';
import {
  checkScenarioAgainstEnvironment,
  environmentFromText,
  loadEnvironment,
  loadScenario,
  scenarioFromText,
  type LoadedEnvironment,
} from '../../harness/config/load.ts';
import { environmentSchema } from '../../harness/config/environment.ts';
import { scenarioSchema } from '../../harness/config/scenario.ts';
import { ConfigError, MAX_VALUES } from '../../lib/yaml-config.ts';
import { mulberry32 } from '../../lib/prng.ts';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'firedrill-fuzz-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const seedVariable = process.env.FIREDRILL_FUZZ_SEED?.trim() || undefined;
if (seedVariable !== undefined && !/^(\d+|0x[0-9a-f]+)$/i.test(seedVariable)) throw new Error(`FIREDRILL_FUZZ_SEED must be an integer, not "${seedVariable}"`);
const SEED = Number(seedVariable ?? 0x5eedf1d3) >>> 0;
console.log(`config fuzz: seed ${SEED} (FIREDRILL_FUZZ_SEED=${SEED} reproduces this run)`);

// ---------------------------------------------------------------- PRNG

type Rng = {
  next(): number;
  int(n: number): number;
  pick<T>(items: readonly T[]): T;
  chance(p: number): boolean;
};

/** Each case gets its own stream, so one case reproduces alone. */
const rng = (seed: number): Rng => {
  const next = mulberry32(seed);
  const int = (n: number) => Math.floor(next() * n);
  return { next, int, pick: (items) => items[int(items.length)]!, chance: (p) => next() < p };
};

const caseSeed = (kind: string, i: number): number => {
  let h = SEED ^ 0x9e3779b9;
  for (const c of `${kind}#${i}`) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193);
  return h >>> 0;
};

// ---------------------------------------------------------------- corpus

const shipped = (folder: string) =>
  readdirSync(join(repo, folder))
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => readFileSync(join(repo, folder, f), 'utf8'));

// The shapes the other tests write: flow mappings, terse files, every optional block.
const testScenarios = [
  `name: broken\ndescription: d\ntarget: { service: demo }\nrelease: { kind: crash-on-start }\nrollback: { path: circuit-breaker }\n`,
  `name: fine\ndescription: d\ntarget: { service: demo }\nrelease: { kind: slow-responses, latencyMs: 5000 }\nrollback: { path: redeploy-previous }\ngate:\n  signals: [{ metric: error-rate, threshold: 0.2 }]\n`,
  `name: cmd\ndescription: d\ntarget: { service: demo }\nrelease: { kind: http-errors, rate: 0.5, environment: { A: "1" } }\nrollout: { method: command, command: ./deploy.sh, timeoutSeconds: 60 }\nrollback: { path: command, command: './rollback.sh {cluster}' }\ngate:\n  signals: [{ metric: error-rate, threshold: 0.2, windowSeconds: 3 }]\nexpectations: { recoveryWithinSeconds: 30, maxBadTrafficShare: 0.5 }\nsmoke:\n  http: [{ path: /health, json: { version: "{baselineTag}", n: 1, ok: true, x: null } }]\n`,
];
const testEnvironments = [
  `name: sandbox\nkind: sandbox\nendpoint: http://127.0.0.1:4599\ncluster: firedrill\nservices:\n  demo: { url: "http://127.0.0.1:4600" }\n`,
  `name: drill-test\nkind: sandbox\nendpoint: http://127.0.0.1:4599\nregion: us-east-1\ncluster: firedrill\nservices:\n  demo:\n    service: demo\n    url: http://127.0.0.1:4600\nprobe: { intervalMs: 500, timeoutMs: 2000 }\npoll: { intervalMs: 250 }\ntimeouts: { baselineSeconds: 60, restoreSeconds: 120, drillSeconds: 900 }\nsandbox: { embedded: false }\n`,
];

const scenarioCorpus = [...shipped('scenarios'), ...testScenarios];
const environmentCorpus = [...shipped('environments'), ...testEnvironments];
const sandboxEnvironment: LoadedEnvironment = loadEnvironment('sandbox', { cwd: repo });

const keysIn = (texts: string[]) => [...new Set(texts.flatMap((t) => [...t.matchAll(/^[ -]*([A-Za-z][\w-]*):/gm)].map((m) => m[1]!)))];
const scenarioKeys = [...new Set([...Object.keys(scenarioSchema.shape), ...keysIn(scenarioCorpus)])];
const environmentKeys = [...new Set([...Object.keys(environmentSchema.shape), ...keysIn(environmentCorpus)])];

// ---------------------------------------------------------------- text mutations

const scalarTexts = [
  '0', '-1', '-0.5', '1e400', '-1e400', '123456789012345678901234567890', '0x1F', '0o17', '1_000', '+1', '.5',
  '.nan', '.NaN', '.inf', '-.inf', 'null', '~', 'Null', 'true', 'false', 'yes', 'no', 'on',
  "''", '""', `'${'x'.repeat(5_000)}'`, 'y'.repeat(5_000), '[]', '{}', '[1, 2, 3]', '{a: 1}', '[[[]]]', '[{}]',
  '"\\0"', '"\\u0000"', '"\\uD800"', '"\\x"', "'it''s'", '|\n  block\n  text', '>-\n  folded', '2001-12-14', '12:30:00',
  '=', '<<', '"a\\tb"', 'a # comment', '"#"', '- item', '? q', '&anc value', '*nope', '*anc',
  '!!binary aGVsbG8=', '!!js/function "function(){}"', '!!str 12', '!!int x', '!!float', '!!set {a}', '!!omap [a: 1]', '!foo bar', '!<tag:x> y',
  '%foo', '@at', '`tick`', 'http://', 'http://[', 'demo', 'circuit-breaker', 'redeploy-previous', 'command', 'error-rate', 'sandbox',
  'production', 'crash-on-start', 'http-errors', '/health', '../../../etc/passwd', '{baselineTag}', 'v1.0.0', '"a\nb"',
];

const insertions = [
  '\t', ':', ': ', '-', '- ', '{', '}', '[', ']', '&', '&a ', '*', '*a', '!', '!!', '%', '@', '`', '"', "'", '#', '|', '>', '?', ',',
  '\0', '\uFEFF', '\r\n', '\r', '\n', '\\', ' ', '  ', '\u0085', '\u2028', '\uFFFE', '\uD800', '\uDC00', 'é', '😀', '\x1b', '\x7f', '\x80',
  '---\n', '...\n', '--- ', '<<: ', '%YAML 1.1\n', '\n---\n',
];

const tags = ['!!binary', '!!js/function', '!!js/undefined', '!!str', '!!int', '!!float', '!!bool', '!!null', '!!map', '!!seq', '!!set', '!!omap', '!!pairs', '!!timestamp', '!foo', '!<tag:yaml.org,2002:str>', '!', '!e!x'];

/** Alias bomb lines (billion laughs): `levels` anchors, each listing the previous one `width` times. */
const bombLines = (levels: number, width: number, indent = ''): string[] => {
  const lines = [`${indent}lol0: &lol0 [${Array(width).fill('lol').join(', ')}]`];
  for (let i = 1; i < levels; i++) lines.push(`${indent}lol${i}: &lol${i} [${Array(width).fill(`*lol${i - 1}`).join(', ')}]`);
  return lines;
};

/** The bomb yaml's own alias limit cannot see: an anchor without aliases inside, referenced many times. */
const flatBombLines = (items: number, refs: number): string[] => [
  `leaf: &leaf [${Array(items).fill('x').join(', ')}]`,
  `tags: [${Array(refs).fill('*leaf').join(', ')}]`,
];

const valueLine = /^(\s*(?:- )?[^\s#:][^:#]*:)( +)(\S.*)$/;

type Mutation = (lines: string[], r: Rng, keys: string[]) => string[];

const at = (lines: string[], r: Rng) => r.int(Math.max(lines.length, 1));
const replaceAt = (lines: string[], i: number, ...replacement: string[]) => [...lines.slice(0, i), ...replacement, ...lines.slice(i + 1)];

const mutations: Record<string, Mutation> = {
  deleteLine: (lines, r) => lines.filter((_, i) => i !== at(lines, r)),
  duplicateLine: (lines, r) => {
    const i = at(lines, r);
    return [...lines.slice(0, i + 1), lines[i] ?? '', ...lines.slice(i + 1)];
  },
  swapLines: (lines, r) => {
    const out = [...lines];
    const i = at(lines, r);
    const j = at(lines, r);
    [out[i], out[j]] = [out[j] ?? '', out[i] ?? ''];
    return out;
  },
  reindent: (lines, r) => {
    const i = at(lines, r);
    const line = lines[i] ?? '';
    const changed = r.pick([
      () => ' '.repeat(1 + r.int(4)) + line,
      () => line.replace(/^ {1,2}/, ''),
      () => line.trimStart(),
      () => '\t' + line,
      () => line.replace(/^( *)/, (s) => '\t'.repeat(Math.ceil(s.length / 2))),
    ])();
    return replaceAt(lines, i, changed);
  },
  truncate: (lines, r) => {
    const text = lines.join('\n');
    return text.slice(0, r.int(text.length + 1)).split('\n');
  },
  insertCharacters: (lines, r) => {
    const text = lines.join('\n');
    const pos = r.int(text.length + 1);
    const what = Array.from({ length: 1 + r.int(3) }, () => r.pick(insertions)).join('');
    return (text.slice(0, pos) + what + text.slice(pos)).split('\n');
  },
  replaceScalar: (lines, r) => {
    const candidates = lines.map((l, i) => (valueLine.test(l) ? i : -1)).filter((i) => i >= 0);
    if (candidates.length === 0) return lines;
    const i = r.pick(candidates);
    return replaceAt(lines, i, (lines[i] ?? '').replace(valueLine, (_m, key: string, space: string) => `${key}${space}${r.pick(scalarTexts)}`));
  },
  renameKey: (lines, r, keys) => {
    const candidates = lines.map((l, i) => (/^\s*(?:- )?[A-Za-z][\w-]*:/.test(l) ? i : -1)).filter((i) => i >= 0);
    if (candidates.length === 0) return lines;
    const i = r.pick(candidates);
    return replaceAt(
      lines,
      i,
      (lines[i] ?? '').replace(/^(\s*(?:- )?)([A-Za-z][\w-]*)/, (_m, lead: string, key: string) =>
        lead +
        r.pick([
          () => r.pick(keys),
          () => key.toUpperCase(),
          () => key.slice(0, -1),
          () => `${key}s`,
          () => `"${key}"`,
          () => `${key} ${key}`,
          () => '__proto__',
          () => 'constructor',
          () => '<<',
          () => '',
          () => '? ' + key,
        ])(),
      ),
    );
  },
  dropKey: (lines, r) => {
    const i = at(lines, r);
    const indent = /^\s*/.exec(lines[i] ?? '')![0].length;
    let end = i + 1;
    while (end < lines.length && (lines[end]!.trim() === '' || /^\s*/.exec(lines[end]!)![0].length > indent)) end++;
    return [...lines.slice(0, i), ...lines.slice(end)];
  },
  duplicateKey: (lines, r) => {
    const top = lines.map((l, i) => (/^[A-Za-z][\w-]*:/.test(l) ? i : -1)).filter((i) => i >= 0);
    if (top.length === 0) return lines;
    return [...lines, `${/^[^:]*/.exec(lines[r.pick(top)]!)![0]}: ${r.pick(scalarTexts.slice(0, 30))}`];
  },
  anchorAndAlias: (lines, r) => {
    const candidates = lines.map((l, i) => (valueLine.test(l) ? i : -1)).filter((i) => i >= 0);
    if (candidates.length < 2) return lines;
    const from = r.pick(candidates);
    const to = r.pick(candidates);
    const name = r.pick(['a', 'b', 'x', 'lol0']);
    let out = replaceAt(lines, from, lines[from]!.replace(valueLine, (_m, k: string, s: string, v: string) => `${k}${s}&${name} ${v}`));
    out = replaceAt(out, to, out[to]!.replace(valueLine, (_m, k: string, s: string) => `${k}${s}*${r.chance(0.8) ? name : 'missing'}`));
    return out;
  },
  aliasBomb: (lines, r) => {
    const levels = 2 + r.int(10);
    const width = 2 + r.int(10);
    const bomb = r.chance(0.7) ? bombLines(levels, width) : flatBombLines(20 + r.int(400), 20 + r.int(400));
    const use = `tags: *lol${levels - 1}`;
    const withoutTags = lines.filter((l) => !l.startsWith('tags:'));
    return r.chance(0.5) ? [...bomb, ...withoutTags, use] : [...withoutTags, ...bomb];
  },
  multipleDocuments: (lines, r) =>
    r.pick([() => ['---', ...lines], () => [...lines, '---', ...lines], () => [...lines, '...', '---', 'name: second'], () => [...lines, '...']])(),
  tag: (lines, r) => {
    const candidates = lines.map((l, i) => (valueLine.test(l) || /^\s*[\w-]+:\s*$/.test(l) ? i : -1)).filter((i) => i >= 0);
    if (candidates.length === 0) return lines;
    const i = r.pick(candidates);
    const tag = r.pick(tags);
    const line = lines[i]!;
    return replaceAt(lines, i, valueLine.test(line) ? line.replace(valueLine, (_m, k: string, s: string, v: string) => `${k}${s}${tag} ${v}`) : `${line} ${tag}`);
  },
  directive: (lines, r) => [...r.pick([['%YAML 1.1'], ['%YAML 1.2'], ['%YAML 2.0'], ['%TAG !e! tag:example.com,2000:'], ['%FOO bar'], ['%YAML 1.1', '%YAML 1.1']]), '---', ...lines],
  lineEndings: (lines, r) => {
    const eol = r.pick(['\r\n', '\r', '\n\r', '\u2028', '\u0085']);
    return r.chance(0.5) ? [lines.join(eol)] : lines.map((l) => (r.chance(0.3) ? l + eol.replace('\n', '') : l));
  },
  deepNesting: (lines, r) => {
    // Around the 64-level limit; the parser's own stack overflow, far deeper and slow, is config.test.ts's.
    const depth = r.pick([10, 63, 64, 65, 100]);
    return [...lines.filter((l) => !l.startsWith('tags:')), r.chance(0.5) ? `tags: ${'['.repeat(depth)}${']'.repeat(depth)}` : `tags: ${'{a: '.repeat(depth)}1${'}'.repeat(depth)}`];
  },
};
const mutationNames = Object.keys(mutations);

const mutateText = (base: string, r: Rng, keys: string[]): string => {
  let lines = base.split('\n');
  const rounds = 1 + r.int(4);
  for (let k = 0; k < rounds; k++) lines = mutations[r.pick(mutationNames)]!(lines, r, keys);
  return lines.join('\n');
};

// ---------------------------------------------------------------- generated documents

const words = ['demo', 'a', 'x-y', 'v1.0.0', 'error-rate', 'sandbox', 'crash-on-start', '/health', 'http://127.0.0.1:4600', 'GET', 'FAILED', '{baselineTag}', 'ünïcødé', '😀', 'tab\there', 'line\nbreak', 'nul\0', ' lead', 'trail ', '#', ': ', '- ', '*x', '&x', '!x', ''];

const randomScalar = (r: Rng): unknown =>
  r.pick([
    () => r.int(100),
    () => -r.int(1_000_000),
    () => r.next(),
    () => Number.MAX_SAFE_INTEGER * 1000,
    () => 1e308 * 10,
    () => -Infinity,
    () => NaN,
    () => null,
    () => r.chance(0.5),
    () => '',
    () => r.pick(words),
    () => 'z'.repeat(r.pick([1, 128, 129, 10_000])),
    () => String.fromCodePoint(...Array.from({ length: 1 + r.int(12) }, () => r.pick([0x20 + r.int(95), r.int(0x20), 0xa0 + r.int(0x2000), 0x1f600]))),
  ])();

const randomValue = (r: Rng, depth: number, keys: string[]): unknown => {
  const roll = depth > 4 ? 0 : r.int(4);
  if (roll <= 1) return randomScalar(r);
  if (roll === 2) return Array.from({ length: r.int(4) }, () => randomValue(r, depth + 1, keys));
  return Object.fromEntries(Array.from({ length: r.int(5) }, () => [r.chance(0.7) ? r.pick(keys) : String(randomScalar(r)), randomValue(r, depth + 1, keys)]));
};

/** Any YAML the library writes, in block or flow style, with odd widths and indents. */
const emit = (value: unknown, r: Rng): string =>
  stringify(value, {
    collectionStyle: r.pick(['any', 'block', 'flow'] as const),
    defaultStringType: r.pick(['PLAIN', 'QUOTE_DOUBLE', 'QUOTE_SINGLE', 'BLOCK_LITERAL', 'BLOCK_FOLDED'] as const),
    defaultKeyType: r.pick([null, 'PLAIN', 'QUOTE_DOUBLE'] as const),
    indent: 1 + r.int(6),
    lineWidth: r.pick([0, 20, 80]),
  });

const generated = (r: Rng, topKeys: string[], keys: string[]): string => {
  const value = r.chance(0.6)
    ? Object.fromEntries(topKeys.filter(() => r.chance(0.7)).map((k) => [k, randomValue(r, 1, keys)]))
    : randomValue(r, 0, keys);
  return emit(value, r);
};

// ---------------------------------------------------------------- one field wrong

type Path = (string | number)[];

const leafPaths = (value: unknown, path: Path = []): Path[] => {
  const here = path.length ? [path] : [];
  if (Array.isArray(value)) return [...here, ...value.flatMap((v, i) => leafPaths(v, [...path, i]))];
  if (value && typeof value === 'object') return [...here, ...Object.entries(value).flatMap(([k, v]) => leafPaths(v, [...path, k]))];
  return here;
};

const getAt = (value: unknown, path: Path): unknown => path.reduce<unknown>((v, k) => (v as Record<string | number, unknown>)[k], value);
const isCollection = (v: unknown) => typeof v === 'object' && v !== null;

const pathName = (path: Path) => path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');

type OneWrong = { text: string; path: Path; kindSwapped: boolean; doc: unknown };

/**
 * Whether the text reads back as the document it was written from. yaml 2.9's stringify can
 * garble a double-quoted string folded at a narrow line width (it wrote `ordersundefined\`).
 */
const emittedFaithfully = (wrong: OneWrong): boolean => {
  try {
    return isDeepStrictEqual(parseYamlText(wrong.text), wrong.doc);
  } catch {
    return false;
  }
};

/** A valid-shaped document with one field changed; `kindSwapped` when a scalar became a collection or back. */
const oneFieldWrong = (base: unknown, r: Rng): OneWrong => {
  const doc = structuredClone(base) as Record<string, unknown>;
  const paths = leafPaths(doc);
  const path = r.pick(paths);
  const parent = getAt(doc, path.slice(0, -1)) as Record<string | number, unknown> | unknown[];
  const key = path.at(-1)!;
  const old = getAt(doc, path);
  let kindSwapped = false;
  const set = (v: unknown) => ((parent as Record<string | number, unknown>)[key] = v);
  r.pick([
    () => {
      kindSwapped = true;
      set(isCollection(old) ? r.pick([0, 'text', true, -1]) : r.pick([[], {}, [old], { value: old }]));
    },
    () => set(randomScalar(r)),
    () => (Array.isArray(parent) ? parent.splice(key as number, 1) : delete (parent as Record<string, unknown>)[key as string]),
    () => {
      if (!Array.isArray(parent)) (parent as Record<string, unknown>)[`${String(key)}x`] = old;
    },
    () => set(r.pick([-1, 0, 0.5, 1e9, 65536, NaN, Infinity, 2 ** 53 + 2])),
    () => set(typeof old === 'string' ? `${old}-typo` : old),
    () => set(r.pick(['', ' ', 'x'.repeat(2_000), 'UPPER', 'not a url', '../x'])),
  ])();
  return { text: emit(doc, r), path, kindSwapped: kindSwapped && old !== null, doc };
};

const validShapes = (corpus: string[], fromText: (text: string, file: string) => unknown): unknown[] =>
  corpus.flatMap((text) => [parseYamlText(text) as unknown, fromText(text, join(dir, 'shape.yaml'))]);

// ---------------------------------------------------------------- bytes for the file path

const badBytes = [[0xff], [0xfe], [0xc3], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82], [0x80], [0x00], [0xef, 0xbb, 0xbf], [0x0d], [0xe9]];

const mutateBytes = (text: string, r: Rng): Buffer => {
  let bytes = Buffer.from(text, 'utf8');
  if (r.chance(0.2)) bytes = Buffer.from(text, 'latin1');
  if (r.chance(0.3)) bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bytes]);
  for (let k = r.int(3); k > 0; k--) {
    const pos = r.int(bytes.length + 1);
    bytes = Buffer.concat([bytes.subarray(0, pos), Buffer.from(r.pick(badBytes)), bytes.subarray(pos)]);
  }
  if (r.chance(0.2)) bytes = bytes.subarray(0, r.int(bytes.length + 1));
  return bytes;
};

// ---------------------------------------------------------------- the oracle

type Outcome = { result: 'accepted' } | { result: 'rejected'; error: ConfigError };
// The yaml library warns on the process (not in the document) when it stringifies a list used as a key.
const processWarnings: string[] = [];
const onWarning = (warning: Error) => processWarnings.push(warning.message);
process.on('warning', onWarning);
afterAll(() => {
  process.off('warning', onWarning);
});

const counts = { cases: 0, accepted: 0, rejected: 0, environmentChecks: 0, slowestMs: 0, byKind: {} as Record<string, number> };
const failures: string[] = [];
/** A case longer than this has found a hang or an expansion, on any machine that runs the suite. */
const CASE_BUDGET_MS = 5_000;

const show = (text: string) => JSON.stringify(text.length > 1_500 ? `${text.slice(0, 1_500)}…(${text.length} chars)` : text);

/** What is wrong with a refusal, or undefined when it is a clear ConfigError with a real position. */
const badRefusal = (error: unknown, file: string, text: string): string | undefined => {
  if (!(error instanceof ConfigError)) {
    return `threw ${error instanceof Error ? `${error.name}: ${error.message}\n${error.stack?.split('\n').slice(1, 6).join('\n')}` : String(error)}`;
  }
  const { message, line, column, field, detail } = error;
  if (line === undefined || column === undefined) return `no position: ${message}`;
  const lines = text.split('\n');
  if (!Number.isInteger(line) || line < 1 || line > lines.length + 1) return `line ${line} outside 1..${lines.length + 1}: ${message}`;
  const width = (lines[line - 1] ?? '').length;
  if (!Number.isInteger(column) || column < 1 || column > width + 1) return `column ${column} outside 1..${width + 1} of line ${line}: ${message}`;
  if (!message.startsWith(`${file}:${line}:${column}: ${field ? `${field}: ` : ''}`)) return `message does not start with ${file}:${line}:${column}: ${message}`;
  if (field !== undefined && field.trim() === '') return `empty field name: ${message}`;
  if (!/[a-z]{3}/i.test(detail) || detail.length < 8) return `detail says nothing: ${message}`;
  // A bare `undefined` leaked from code; `!!js/undefined` quoted from the file is fine.
  if (/(^|[\s:(])undefined([\s.,;)]|$)|\[object \w+\]/.test(detail)) return `detail is not meant for a user: ${message}`;
  return undefined;
};

/** Runs one case; records a failure with everything needed to reproduce it. */
const check = (kind: string, i: number, text: string, file: string, load: () => unknown, revalidate: (value: unknown) => string | undefined): Outcome | undefined => {
  const started = performance.now();
  let value: unknown;
  let error: unknown;
  let threw = false;
  try {
    value = load();
  } catch (e) {
    threw = true;
    error = e;
  }
  const ms = performance.now() - started;
  counts.slowestMs = Math.max(counts.slowestMs, ms);
  counts.cases++;
  counts.byKind[kind] = (counts.byKind[kind] ?? 0) + 1;
  const problem = ms > CASE_BUDGET_MS ? `took ${ms.toFixed(0)} ms` : threw ? badRefusal(error, file, text) : revalidate(value);
  if (problem) {
    failures.push(`${kind} #${i} (seed ${SEED}): ${problem}\n  input: ${show(text)}`);
    return undefined;
  }
  counts[threw ? 'rejected' : 'accepted']++;
  return threw ? { result: 'rejected', error: error as ConfigError } : { result: 'accepted' };
};

const revalidates =
  <S extends z.ZodType>(schema: S) =>
  (value: unknown): string | undefined => {
    const again = schema.safeParse(value);
    if (!again.success) return `accepted a value the schema refuses: ${again.error.issues[0]?.message}`;
    return isDeepStrictEqual(again.data, value) ? undefined : 'accepted a value that changes when validated again';
  };

/** An accepted scenario must also pass, or be refused clearly by, the check against a shipped environment. */
const scenarioRevalidates = (text: string, file: string) => (value: unknown) => {
  const problem = revalidates(scenarioSchema)(value);
  if (problem) return problem;
  counts.environmentChecks++;
  try {
    checkScenarioAgainstEnvironment({ scenario: value as z.infer<typeof scenarioSchema>, file, hash: '', text }, sandboxEnvironment);
    return undefined;
  } catch (error) {
    const bad = badRefusal(error, file, text);
    return bad ? `checkScenarioAgainstEnvironment ${bad}` : undefined;
  }
};

const textFile = (kind: string, i: number) => join(dir, `${kind}-${i}.yaml`);

const runScenarioText = (kind: string, i: number, text: string) => {
  const file = textFile(kind, i);
  return check(kind, i, text, file, () => scenarioFromText(text, file), scenarioRevalidates(text, file));
};
const runEnvironmentText = (kind: string, i: number, text: string) => {
  const file = textFile(kind, i);
  return check(kind, i, text, file, () => environmentFromText(text, file), revalidates(environmentSchema));
};

/** Through the file: what the loader reads, decoded the way the oracle measures lines. */
const runFile = (kind: string, i: number, bytes: Buffer, what: 'scenario' | 'environment') => {
  const file = textFile(kind, i);
  writeFileSync(file, bytes);
  const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes).replace(/^\uFEFF/, '');
  const revalidate = what === 'scenario' ? scenarioRevalidates(text, file) : revalidates(environmentSchema);
  // Bytes that are not UTF-8 must be refused, never read into values as replacement characters.
  const genuineReplacement = bytes.includes(Buffer.from('\uFFFD', 'utf8'));
  const noReplacement = (value: unknown) =>
    !genuineReplacement && JSON.stringify(value).includes('\uFFFD') ? 'accepted bytes that are not UTF-8 as replacement characters' : revalidate(value);
  const load = what === 'scenario' ? () => loadScenario(file).scenario : () => loadEnvironment(file).environment;
  return check(kind, i, text, file, load, noReplacement);
};

const expectNoFailures = () => {
  const found = failures.splice(0);
  expect(found.slice(0, 10).join('\n\n') + (found.length > 10 ? `\n\n…and ${found.length - 10} more` : '')).toBe('');
};

// ---------------------------------------------------------------- cases

const MUTATED_SCENARIOS = 1_100;
const GENERATED_SCENARIOS = 300;
const ONE_WRONG_SCENARIOS = 400;
const FILE_SCENARIOS = 100;
const MUTATED_ENVIRONMENTS = 450;
const GENERATED_ENVIRONMENTS = 200;
const ONE_WRONG_ENVIRONMENTS = 250;
const FILE_ENVIRONMENTS = 100;

describe('config loaders under fuzzing: every file loads or is refused with a position', { timeout: 120_000 }, () => {
  it(`${MUTATED_SCENARIOS} mutated scenarios, every 10th also through the file`, () => {
    let rejected = 0;
    for (let i = 0; i < MUTATED_SCENARIOS; i++) {
      const r = rng(caseSeed('mutated-scenario', i));
      const text = mutateText(r.pick(scenarioCorpus), r, scenarioKeys);
      if (runScenarioText('mutated-scenario', i, text) ?.result === 'rejected') rejected++;
      // The file path must agree with the text path whenever the text survives a round trip through UTF-8.
      if (i % 10 === 0 && Buffer.from(text, 'utf8').toString('utf8') === text && !text.startsWith('\uFEFF')) runFile('mutated-scenario-file', i, Buffer.from(text, 'utf8'), 'scenario');
    }
    expectNoFailures();
    // Mutations that never break anything would make this test vacuous.
    expect(rejected).toBeGreaterThan(MUTATED_SCENARIOS / 4);
  });

  it(`${MUTATED_ENVIRONMENTS} mutated environments`, () => {
    let rejected = 0;
    for (let i = 0; i < MUTATED_ENVIRONMENTS; i++) {
      const r = rng(caseSeed('mutated-environment', i));
      if (runEnvironmentText('mutated-environment', i, mutateText(r.pick(environmentCorpus), r, environmentKeys)) ?.result === 'rejected') rejected++;
    }
    expectNoFailures();
    expect(rejected).toBeGreaterThan(MUTATED_ENVIRONMENTS / 4);
  });

  it(`${GENERATED_SCENARIOS} scenarios and ${GENERATED_ENVIRONMENTS} environments from a grammar of random YAML`, () => {
    const scenarioTop = Object.keys(scenarioSchema.shape);
    const environmentTop = Object.keys(environmentSchema.shape);
    for (let i = 0; i < GENERATED_SCENARIOS; i++) runScenarioText('generated-scenario', i, generated(rng(caseSeed('generated-scenario', i)), scenarioTop, scenarioKeys));
    for (let i = 0; i < GENERATED_ENVIRONMENTS; i++) {
      runEnvironmentText('generated-environment', i, generated(rng(caseSeed('generated-environment', i)), environmentTop, environmentKeys));
    }
    expectNoFailures();
  });

  it(`${ONE_WRONG_SCENARIOS} scenarios and ${ONE_WRONG_ENVIRONMENTS} environments with one field wrong; a scalar turned collection (or back) is refused at that field`, () => {
    const misplaced: string[] = [];
    let swapsChecked = 0;
    const run = (kind: string, n: number, shapes: unknown[], runText: (kind: string, i: number, text: string) => Outcome | undefined) => {
      for (let i = 0; i < n; i++) {
        const r = rng(caseSeed(kind, i));
        const wrong = oneFieldWrong(r.pick(shapes), r);
        const outcome = runText(kind, i, wrong.text);
        if (outcome === undefined || !wrong.kindSwapped) continue;
        // yaml's stringify garbles some folded double-quoted strings (see below): then the case is only fuzz, not one field wrong.
        if (!emittedFaithfully(wrong)) continue;
        swapsChecked++;
        const field = outcome.result === 'rejected' ? (outcome.error.field ?? '') : undefined;
        const expected = pathName(wrong.path);
        if (field === undefined || !(expected === field || expected.startsWith(`${field}.`) || expected.startsWith(`${field}[`))) {
          misplaced.push(`${kind} #${i} (seed ${SEED}): changed ${expected}, error names ${field ?? '(accepted)'}\n  input: ${show(wrong.text)}`);
        }
      }
    };
    run('one-wrong-scenario', ONE_WRONG_SCENARIOS, validShapes(scenarioCorpus, scenarioFromText), runScenarioText);
    run('one-wrong-environment', ONE_WRONG_ENVIRONMENTS, validShapes(environmentCorpus, environmentFromText), runEnvironmentText);
    expectNoFailures();
    expect(misplaced.slice(0, 10).join('\n\n')).toBe('');
    // About one case in seven swaps a kind; too few checked would make the field assertion idle.
    expect(swapsChecked).toBeGreaterThan((ONE_WRONG_SCENARIOS + ONE_WRONG_ENVIRONMENTS) / 10);
  });

  it(`${FILE_SCENARIOS} scenarios and ${FILE_ENVIRONMENTS} environments through the file, with bytes that are not UTF-8, NUL, BOMs and CRs`, () => {
    for (let i = 0; i < FILE_SCENARIOS; i++) {
      const r = rng(caseSeed('bytes-scenario', i));
      runFile('bytes-scenario', i, mutateBytes(r.chance(0.5) ? r.pick(scenarioCorpus) : mutateText(r.pick(scenarioCorpus), r, scenarioKeys), r), 'scenario');
    }
    for (let i = 0; i < FILE_ENVIRONMENTS; i++) {
      const r = rng(caseSeed('bytes-environment', i));
      runFile('bytes-environment', i, mutateBytes(r.chance(0.5) ? r.pick(environmentCorpus) : mutateText(r.pick(environmentCorpus), r, environmentKeys), r), 'environment');
    }
    expectNoFailures();
  });

  it('alias bombs of every size are refused quickly, with the position of an alias', () => {
    let i = 0;
    for (const [levels, width] of [[4, 4], [6, 8], [9, 9], [12, 10], [30, 2]] as const) {
      const text = [...bombLines(levels, width), `tags: *lol${levels - 1}`].join('\n');
      const expanded = width ** levels;
      const outcome = runScenarioText('bomb', i++, text);
      if (expanded > MAX_VALUES) expect(outcome?.result, `${levels} levels of ${width}`).toBe('rejected');
    }
    for (const [items, refs] of [[400, 400], [5_000, 5_000]] as const) {
      expect(runScenarioText('flat-bomb', i++, flatBombLines(items, refs).join('\n'))?.result).toBe('rejected');
    }
    expectNoFailures();
  });

  it('ran enough cases, and says how many', () => {
    const scenarioCases = Object.entries(counts.byKind).filter(([k]) => k.includes('scenario') || k.includes('bomb')).reduce((n, [, c]) => n + c, 0);
    const environmentCases = Object.entries(counts.byKind).filter(([k]) => k.includes('environment')).reduce((n, [, c]) => n + c, 0);
    console.log(
      `config fuzz: ${counts.cases} cases (${scenarioCases} scenario, ${environmentCases} environment), ` +
        `${counts.accepted} accepted, ${counts.rejected} rejected, ${counts.environmentChecks} checked against an environment; ` +
        `slowest ${counts.slowestMs.toFixed(0)} ms; seed ${SEED}; by kind ${JSON.stringify(counts.byKind)}`,
    );
    expect(processWarnings).toEqual([]);
    expect(scenarioCases).toBeGreaterThanOrEqual(2_000);
    expect(environmentCases).toBeGreaterThanOrEqual(1_000);
    expect(counts.accepted).toBeGreaterThan(0);
  });
});
