// Loading scenario and environment files: read, hash, check against the schemas, then the rules
// that span fields or files. Every failure is a ConfigError naming file:line:column and the
// field, so a drill with a bad file stops before it touches anything (exit 2).

import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { ConfigError, configErrorAt, decodeConfig, parseYaml } from '../../lib/yaml-config.ts';
import { environmentSchema, type Environment } from './environment.ts';
import { scenarioSchema, type GateSignal, type ReleaseKind, type Scenario } from './scenario.ts';

export interface LoadedScenario {
  scenario: Scenario;
  /** Absolute path. */
  file: string;
  /** sha256 (hex) of the file's bytes: the journal records which version of the scenario ran. */
  hash: string;
  /** The file's text, kept so later checks can point at a field's line. */
  text: string;
}

export interface LoadedEnvironment {
  environment: Environment;
  /** Absolute path. */
  file: string;
  hash: string;
}

const readConfig = (file: string, what: string): { text: string; hash: string } => {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const detail =
      code === 'ENOENT'
        ? `no such ${what} file: check the path`
        : code === 'EISDIR'
          ? `is a directory: pass a ${what} file (.yaml)`
          : `cannot read the ${what} file (${code ?? String(error)})`;
    throw new ConfigError(file, undefined, undefined, undefined, detail);
  }
  return { text: decodeConfig(bytes, file), hash: createHash('sha256').update(bytes).digest('hex') };
};

/**
 * Release kinds whose tasks stay healthy while the app misbehaves, so neither ECS nor its circuit
 * breaker ever sees them: only a gate signal on one of these metrics detects them. A slow
 * release also shows as errors when it is slower than the probe timeout.
 */
const invisibleToEcs: Partial<Record<ReleaseKind, readonly GateSignal['metric'][]>> = {
  'http-errors': ['error-rate'],
  'slow-responses': ['latency-p95', 'error-rate'],
};

/** Rules across fields: a rollback path must be able to see the failure it is meant to recover from. */
const checkScenario = (scenario: Scenario, text: string, file: string): void => {
  const kind = scenario.release.kind;
  const metrics = invisibleToEcs[kind];
  if (!metrics) return;
  if (scenario.rollback.path === 'circuit-breaker') {
    throw configErrorAt(
      text,
      file,
      ['rollback', 'path'],
      `ECS's circuit breaker cannot see release kind ${kind} (its tasks stay healthy): ` +
        `use rollback path redeploy-previous or command, with gate.signals (${metrics[0]})`,
    );
  }
  if (!scenario.gate.signals.some((s) => metrics.includes(s.metric))) {
    throw configErrorAt(text, file, ['release', 'kind'], `release kind ${kind} is invisible to ECS: add gate.signals (${metrics[0]}) so the drill can detect it`);
  }
};

/** Hand-written smoke specs are resolved from the scenario's folder; a missing one is a config error, not a failed drill. */
const checkSmokeSpecs = (scenario: Scenario, text: string, file: string): void => {
  scenario.smoke.specs.forEach((spec, i) => {
    const path = resolve(dirname(file), spec);
    if (!existsSync(path)) throw configErrorAt(text, file, ['smoke', 'specs', i], `no such smoke spec: ${path} (paths are relative to the scenario file)`);
  });
};

/** A scenario file's text, checked as loadScenario checks it; `file` names it in errors and anchors its smoke specs. */
export const scenarioFromText = (text: string, file: string): Scenario => {
  const scenario = parseYaml(text, file, scenarioSchema);
  checkScenario(scenario, text, file);
  checkSmokeSpecs(scenario, text, file);
  return scenario;
};

export const loadScenario = (file: string): LoadedScenario => {
  const absolute = resolve(file);
  const { text, hash } = readConfig(absolute, 'scenario');
  return { scenario: scenarioFromText(text, absolute), file: absolute, hash, text };
};

/** An environment file's text, checked as loadEnvironment checks it. */
export const environmentFromText = (text: string, file: string): Environment => parseYaml(text, file, environmentSchema);

const yamlFile = /\.ya?ml$/;
const bareName = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;

/** `sandbox` means `<cwd>/environments/sandbox.yaml`; anything with a slash or a .yaml suffix is a path. */
export const loadEnvironment = (nameOrFile: string, options: { cwd?: string } = {}): LoadedEnvironment => {
  const cwd = options.cwd ?? process.cwd();
  const isName = bareName.test(nameOrFile) && !yamlFile.test(nameOrFile);
  const file = isName ? join(cwd, 'environments', `${nameOrFile}.yaml`) : resolve(cwd, nameOrFile);
  if (isName && !existsSync(file)) {
    const dir = join(cwd, 'environments');
    const known = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.yaml')).map((f) => f.replace(/\.yaml$/, '')) : [];
    const choices = known.length ? `one of: ${known.join(', ')}` : 'a path to an environment file';
    throw new ConfigError(file, undefined, undefined, undefined, `no environment named "${nameOrFile}": create this file, or pass ${choices}`);
  }
  const { text, hash } = readConfig(file, 'environment');
  return { environment: environmentFromText(text, file), file, hash };
};

/** The scenario must target a service the environment names; the error points at target.service. */
export const checkScenarioAgainstEnvironment = (loaded: LoadedScenario, env: LoadedEnvironment): void => {
  const wanted = loaded.scenario.target.service;
  const services = Object.keys(env.environment.services);
  if (services.includes(wanted)) return;
  throw configErrorAt(
    loaded.text,
    loaded.file,
    ['target', 'service'],
    `environment ${env.environment.name} (${env.file}) has no service "${wanted}": use one of ${services.join(', ')}, or add it under services there`,
  );
};

const isGlob = (segment: string) => segment.includes('*');

/** `*` matches within one path segment, never a leading dot, as in a shell. */
const segmentPattern = (segment: string): RegExp =>
  new RegExp(`^(?!\\.)${segment.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*')}$`);

const isDirectory = (path: string) => statSync(path, { throwIfNoEntry: false })?.isDirectory() ?? false;

/** A folder's entries in name order, so runs and reports list scenarios the same way every time. */
const children = (dir: string) =>
  isDirectory(dir) ? readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1)) : [];

/** Every path under `dir` that the remaining segments match; `**` matches zero or more folders. */
const match = (dir: string, segments: readonly string[]): string[] => {
  const [head, ...rest] = segments;
  if (head === undefined) return [dir];
  if (head === '**') {
    const deeper = children(dir).filter((e) => e.isDirectory() && !e.name.startsWith('.'));
    return [...match(dir, rest), ...deeper.flatMap((e) => match(join(dir, e.name), segments))];
  }
  if (!isGlob(head)) return existsSync(join(dir, head)) ? match(join(dir, head), rest) : [];
  const pattern = segmentPattern(head);
  return children(dir)
    .filter((e) => pattern.test(e.name))
    .flatMap((e) => match(join(dir, e.name), rest));
};

const expandGlob = (pattern: string, cwd: string): string[] => {
  const segments = pattern.split('/');
  const firstGlob = segments.findIndex(isGlob);
  const base = resolve(isAbsolute(pattern) ? '/' : cwd, ...segments.slice(0, firstGlob));
  return match(base, segments.slice(firstGlob)).filter((path) => !isDirectory(path));
};

const yamlFilesIn = (dir: string): string[] =>
  children(dir)
    .filter((e) => e.isFile() && yamlFile.test(e.name))
    .map((e) => join(dir, e.name));

/**
 * Scenario arguments to absolute file paths, in the order given, without duplicates: a glob
 * (`*`, `**`) expands to the files it matches, a folder to its .yaml files, a file is itself.
 */
export const resolveScenarioFiles = (patterns: readonly string[], cwd: string): string[] => {
  const files = patterns.flatMap((pattern) => {
    const path = resolve(cwd, pattern);
    const found = isGlob(pattern) ? expandGlob(pattern, cwd) : isDirectory(path) ? yamlFilesIn(path) : existsSync(path) ? [path] : [];
    if (found.length > 0) return found;
    const detail = isGlob(pattern)
      ? `no file matches this pattern (relative patterns start at ${cwd})`
      : isDirectory(path)
        ? 'this folder holds no .yaml scenario files'
        : `no such file or folder (relative paths start at ${cwd})`;
    throw new ConfigError(pattern, undefined, undefined, undefined, detail);
  });
  return [...new Set(files)];
};
