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
