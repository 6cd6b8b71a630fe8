// Scenario and environment files: every error names file:line:column and the field, and every
// shipped file loads and runs on the sandbox's demo service.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../lib/yaml-config.ts';
import {
  checkScenarioAgainstEnvironment,
  loadEnvironment,
  loadScenario,
  resolveScenarioFiles,
} from '../../harness/config/load.ts';
import { releaseSchema, rollbackSchema, rolloutSchema, type Scenario } from '../../harness/config/scenario.ts';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'firedrill-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let written = 0;
const write = (text: string): string => {
  const file = join(dir, `file-${++written}.yaml`);
  writeFileSync(file, text);
  return file;
};

const errorOf = (load: () => unknown): ConfigError => {
  try {
    load();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError, but the file loaded');
};

const environmentYaml = `name: sandbox
kind: sandbox
endpoint: http://127.0.0.1:4599
cluster: firedrill
services:
  demo: { url: "http://127.0.0.1:4600" }
`;

describe('scenario errors name file:line:column and the field', () => {
  it('an unknown release kind points at release.kind', () => {
    const file = write(`name: broken
description: d
target: { service: demo }
release:
  kind: crash-on-tuesday
rollback: { path: circuit-breaker }
`);
    expect(errorOf(() => loadScenario(file)).message).toContain(`${file}:5:9: release.kind: Invalid discriminator value. Expected 'missing-image-tag'`);
  });

  it('a value of the wrong type points at the value', () => {
    const file = write(`name: broken
description: d
target: { service: demo }
release: { kind: crash-on-start }
rollback: { path: circuit-breaker }
expectations:
  recoveryWithinSeconds: ten minutes
`);
    expect(errorOf(() => loadScenario(file)).message).toBe(
      `${file}:7:26: expectations.recoveryWithinSeconds: Invalid input: expected number, received string`,
    );
  });

  it('an unknown field points at the field itself, not its parent', () => {
    const file = write(`name: broken
description: d
target: { service: demo }
release:
  kind: crash-on-start
  seconds: 3
rollback: { path: circuit-breaker }
`);
    expect(errorOf(() => loadScenario(file)).message).toBe(`${file}:6:3: release.seconds: unknown field: check its spelling, or remove it`);
  });

  it('a YAML syntax error has its position', () => {
    const file = write('name: broken\n\tdescription: indented with a tab\n');
    expect(errorOf(() => loadScenario(file)).message).toBe(`${file}:2:1: Tabs are not allowed as indentation`);
  });

  it('a missing required field is named as missing', () => {
    const file = write(`name: broken
description: d
release: { kind: crash-on-start }
rollback: { path: circuit-breaker }
`);
    expect(errorOf(() => loadScenario(file)).message).toBe(`${file}:1:1: target: required, but missing (expected object)`);
  });

  it('a missing file says so', () => {
    const file = join(dir, 'nowhere.yaml');
    expect(errorOf(() => loadScenario(file)).message).toBe(`${file}: no such scenario file: check the path`);
  });

  it('a smoke spec that does not exist points at its entry', () => {
    const file = write(`name: broken
description: d
target: { service: demo }
release: { kind: crash-on-start }
rollback: { path: circuit-breaker }
smoke:
  specs:
    - ./smoke/orders.spec.ts
`);
    expect(errorOf(() => loadScenario(file)).message).toBe(
      `${file}:8:7: smoke.specs[0]: no such smoke spec: ${join(dir, 'smoke/orders.spec.ts')} (paths are relative to the scenario file)`,
    );
  });
});

describe('a rollback path must be able to see the failure', () => {
  it('rejects the circuit breaker for a release ECS cannot see', () => {
    const file = write(`name: broken
description: d
target: { service: demo }
release: { kind: http-errors, rate: 1 }
rollback:
  path: circuit-breaker
`);
    expect(errorOf(() => loadScenario(file)).message).toBe(
      `${file}:6:9: rollback.path: ECS's circuit breaker cannot see release kind http-errors (its tasks stay healthy): ` +
        `use rollback path redeploy-previous or command, with gate.signals (error-rate)`,
    );
  });

  it('requires a gate signal for a release ECS cannot see', () => {
    const file = write(`name: broken
description: d
target: { service: demo }
release:
  kind: http-errors
rollback: { path: redeploy-previous }
`);
    expect(errorOf(() => loadScenario(file)).message).toBe(
      `${file}:5:9: release.kind: release kind http-errors is invisible to ECS: add gate.signals (error-rate) so the drill can detect it`,
    );
  });

  it('requires a signal on a metric that sees the failure', () => {
    const file = write(`name: broken
description: d
target: { service: demo }
release:
  kind: http-errors
rollback: { path: command, command: ./rollback.sh }
gate:
  signals: [{ metric: latency-p95, threshold: 1000 }]
`);
    expect(errorOf(() => loadScenario(file)).field).toBe('release.kind');
  });

  it('accepts ECS-visible failures without a gate, and a slow release gated on errors', () => {
    const crash = write(`name: fine
description: d
target: { service: demo }
release: { kind: crash-on-start }
rollback: { path: redeploy-previous }
`);
    const slow = write(`name: fine
description: d
target: { service: demo }
release: { kind: slow-responses, latencyMs: 5000 }
rollback: { path: redeploy-previous }
gate:
  signals: [{ metric: error-rate, threshold: 0.2 }]
`);
    expect(loadScenario(crash).scenario.gate.signals).toEqual([]);
    expect(loadScenario(slow).scenario.release).toEqual({ kind: 'slow-responses', latencyMs: 5000, variable: 'FAIL_LATENCY_MS' });
  });
});

describe('environments', () => {
  it('a bare name means environments/<name>.yaml under cwd', () => {
    const cwd = join(dir, 'project');
    mkdirSync(join(cwd, 'environments'), { recursive: true });
    writeFileSync(join(cwd, 'environments', 'sandbox.yaml'), environmentYaml);
    const loaded = loadEnvironment('sandbox', { cwd });
    expect(loaded.file).toBe(join(cwd, 'environments', 'sandbox.yaml'));
    expect(loaded.environment.services.demo?.probePath).toBe('/api/version');
    expect(loaded.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(errorOf(() => loadEnvironment('staging', { cwd })).message).toBe(
      `${join(cwd, 'environments', 'staging.yaml')}: no environment named "staging": create this file, or pass one of: sandbox`,
    );
  });

  it('an environment without services points at the file start', () => {
    const file = write('name: sandbox\nkind: sandbox\ncluster: firedrill\n');
    expect(errorOf(() => loadEnvironment(file)).message).toBe(`${file}:1:1: services: required, but missing (expected record)`);
  });

  it('a scenario targeting a service the environment lacks points at target.service', () => {
    const environment = loadEnvironment(write(environmentYaml));
    const file = write(`name: elsewhere
description: d
target:
  service: billing
release: { kind: crash-on-start }
rollback: { path: circuit-breaker }
`);
    expect(errorOf(() => checkScenarioAgainstEnvironment(loadScenario(file), environment)).message).toBe(
      `${file}:4:12: target.service: environment sandbox (${environment.file}) has no service "billing": use one of demo, or add it under services there`,
    );
  });
});

describe('resolveScenarioFiles', () => {
  const cwd = join(dir, 'globs');
  mkdirSync(join(cwd, 'scenarios', 'nightly', 'deep'), { recursive: true });
  for (const f of ['a.yaml', 'b.yaml', 'notes.md', 'nightly/c.yaml', 'nightly/deep/d.yaml']) writeFileSync(join(cwd, 'scenarios', f), '');
  const at = (...paths: string[]) => paths.map((p) => join(cwd, 'scenarios', p));

  it('expands * within a folder, ** across folders, and folders to their .yaml files', () => {
    expect(resolveScenarioFiles(['scenarios/*.yaml'], cwd)).toEqual(at('a.yaml', 'b.yaml'));
    expect(resolveScenarioFiles(['scenarios/**/*.yaml'], cwd)).toEqual(at('a.yaml', 'b.yaml', 'nightly/c.yaml', 'nightly/deep/d.yaml'));
    expect(resolveScenarioFiles(['scenarios'], cwd)).toEqual(at('a.yaml', 'b.yaml'));
  });

  it('keeps the order given and drops duplicates', () => {
    expect(resolveScenarioFiles(['scenarios/b.yaml', 'scenarios/*.yaml'], cwd)).toEqual(at('b.yaml', 'a.yaml'));
  });

  it('names the pattern that matched nothing', () => {
    expect(errorOf(() => resolveScenarioFiles(['scenarios/*.yml'], cwd)).message).toBe(
      `scenarios/*.yml: no file matches this pattern (relative patterns start at ${cwd})`,
    );
    expect(errorOf(() => resolveScenarioFiles(['scenarios/missing.yaml'], cwd)).message).toMatch(/^scenarios\/missing.yaml: no such file or folder/);
  });
});

describe('shipped scenarios and environments', () => {
  const files = resolveScenarioFiles(['scenarios/*.yaml'], repo);
  const sandbox = () => loadEnvironment('sandbox', { cwd: repo });

  it.each(resolveScenarioFiles(['environments'], repo))('%s loads', (file) => {
    expect(loadEnvironment(file).environment.name).toBeTruthy();
  });

  it('the sandbox environment points at the sandbox the README starts', () => {
    expect(sandbox().environment).toMatchObject({ kind: 'sandbox', endpoint: 'http://127.0.0.1:4599', cluster: 'firedrill' });
  });

  it.each(files)('%s loads, is named after its file and targets a sandbox service', (file) => {
    const loaded = loadScenario(file);
    expect(file.endsWith(`/${loaded.scenario.name}.yaml`)).toBe(true);
    checkScenarioAgainstEnvironment(loaded, sandbox());
  });

  it('at least 10 of them cover every release kind, rollout method and rollback path', () => {
    const shipped = files.map((file) => loadScenario(file).scenario);
    const covered = (pick: (s: Scenario) => string) => new Set(shipped.map(pick));
    expect(shipped.length).toBeGreaterThanOrEqual(10);
    expect(covered((s) => s.release.kind)).toEqual(new Set(releaseSchema.options.map((o) => o.shape.kind.value)));
    expect(covered((s) => s.rollout.method)).toEqual(new Set(rolloutSchema.unwrap().options.map((o) => o.shape.method.value)));
    expect(covered((s) => s.rollback.path)).toEqual(new Set(rollbackSchema.options.map((o) => o.shape.path.value)));
  });
});

// Each input below is the minimal form of a file the fuzzer (config-fuzz.test.ts) found crashing
// the loader or refused without a usable message.
describe('bad input found by fuzzing is refused with a position', () => {
  const scenarioText = (extra: string) => `name: fuzzed\ndescription: d\ntarget: { service: demo }\nrelease: { kind: crash-on-start }\nrollback: { path: circuit-breaker }\n${extra}`;

  it('an empty or comment-only file points at its start', () => {
    for (const text of ['', '# nothing yet\n']) {
      const file = write(text);
      expect(errorOf(() => loadScenario(file)).message).toBe(`${file}:1:1: name: required, but missing (expected string)`);
    }
  });

  it('an alias bomb is refused at once, not expanded', () => {
    const levels = ['a: &a [x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 9; i++) levels.push(`${'abcdefghi'[i]}: &${'abcdefghi'[i]} [${Array(9).fill(`*${'abcdefghi'[i - 1]}`).join(', ')}]`);
    const file = write(levels.join('\n') + '\n');
    const started = performance.now();
    const error = errorOf(() => loadScenario(file));
    expect(error.message).toMatch(new RegExp(`^${file}:\\d+:\\d+: too large: its aliases expand it to more than 100000 values \\(an alias bomb\\?\\)`));
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it('an alias without its anchor, or inside it, points at the alias', () => {
    const unresolved = write('name: *nope\n');
    expect(errorOf(() => loadScenario(unresolved)).message).toBe(`${unresolved}:1:7: alias *nope has no anchor &nope before it`);
    const cyclic = write(scenarioText('tags: &t [*t]\n'));
    expect(errorOf(() => loadScenario(cyclic)).message).toBe(`${cyclic}:6:11: alias *t is inside the value it refers to (&t): a value cannot contain itself`);
  });

  it('a value reached through an alias is wrong, not missing', () => {
    const file = write(environmentYaml.replace('services:', 'x: &x { url: 3 }\nservices:').replace('demo: { url: "http://127.0.0.1:4600" }', 'demo: *x'));
    expect(errorOf(() => loadEnvironment(file)).message).toBe(`${file}:7:9: services.demo.url: Invalid input: expected string, received number`);
  });

  it('a merge key is a plain key whatever the %YAML directive says', () => {
    const file = write(`%YAML 1.1\n---\n${scenarioText('<<: 1\n')}`);
    expect(errorOf(() => loadScenario(file)).message).toBe(`${file}:8:1: <<: unknown field: check its spelling, or remove it`);
  });

  it('a list or mapping as a key is refused at the key', () => {
    const file = write('? [a, b]\n: c\n');
    expect(errorOf(() => loadScenario(file)).message).toBe(`${file}:1:3: a key must be a plain name, not a list or mapping`);
  });

  it('nesting too deep for the parser says so', () => {
    const file = write(`name: ${'['.repeat(2_000)}${']'.repeat(2_000)}\n`);
    expect(errorOf(() => loadScenario(file)).message).toMatch(new RegExp(`^${file}:1:\\d+: nested (too deeply to read|more than 64 levels deep)`));
    const parsed = write(`name: ${'['.repeat(70)}${']'.repeat(70)}\n`);
    expect(errorOf(() => loadScenario(parsed)).message).toBe(`${parsed}:1:70: nested more than 64 levels deep: a firedrill file needs a few levels at most`);
  });

  it('control characters and a byte order mark inside the file are refused', () => {
    const nul = write(scenarioText('tags: [a\0b]\n'));
    expect(errorOf(() => loadScenario(nul)).message).toBe(
      `${nul}:6:9: character U+0000 is not allowed in YAML: remove it, or write it as an escape in a double-quoted string`,
    );
    const bom = write(scenarioText('\uFEFFtags: []\n'));
    expect(errorOf(() => loadScenario(bom)).message).toBe(`${bom}:6:1: a byte order mark (U+FEFF) inside the file: remove it`);
  });

  it('bytes that are not UTF-8 are refused at the first one, not read as replacement characters', () => {
    const file = join(dir, `file-${++written}.yaml`);
    writeFileSync(file, Buffer.concat([Buffer.from(scenarioText('tags: [caf')), Buffer.from([0xe9]), Buffer.from(']\n')]));
    expect(errorOf(() => loadScenario(file)).message).toBe(`${file}:6:11: not UTF-8: byte 0xE9 here is not text; save the file as UTF-8`);
  });

  it('a byte order mark at the start is fine and does not shift columns', () => {
    const file = join(dir, `file-${++written}.yaml`);
    writeFileSync(file, `\uFEFF${scenarioText('').replace('name: fuzzed', 'name: 7')}`);
    expect(errorOf(() => loadScenario(file)).message).toBe(`${file}:1:7: name: Invalid input: expected string, received number`);
  });

  it('tags the config cannot hold (!!binary, !!js/function, !!timestamp) are refused at the tag', () => {
    for (const [value, tag] of [
      ['!!binary aGVsbG8=', '!!binary'],
      ['!!js/function "function () {}"', '!!js/function'],
      ['!!timestamp 2001-12-14', '!!timestamp'],
    ]) {
      const file = write(scenarioText(`tags: [${value}]\n`));
      expect(errorOf(() => loadScenario(file)).message).toBe(
        `${file}:6:8: tag ${tag} cannot be used here: firedrill files take plain values (strings, numbers, booleans, lists, mappings); remove the tag`,
      );
    }
  });

  it('an empty service key is named as a key', () => {
    const file = write(environmentYaml.replace('demo:', '"":'));
    expect(errorOf(() => loadEnvironment(file)).message).toBe(`${file}:6:3: services[""]: invalid key: Too small: expected string to have >=1 characters`);
  });
});
