// The sandbox's configuration: built-in defaults (the demo app image, one target group, the
// timing profile) with an optional YAML file on top.

import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { ConfigError, parseYaml } from '../lib/yaml-config.ts';
import { faultConfigSchema } from './api/faults.ts';
import type { ImageConfig, SandboxConfig, TargetGroupConfig } from './types/config.ts';
import { defaultTiming } from './control/timing.ts';

export type { SandboxConfig } from './types/config.ts';

const here = dirname(fileURLToPath(import.meta.url));
export const demoAppDir = join(here, 'demo-app');

export const DEFAULT_PORT = 4599;
export const DEMO_IMAGE = 'firedrill/demo-app';
export const DEMO_TAGS = ['v1.0.0', 'v1.1.0', 'v1.2.0'];
export const DEMO_TARGET_GROUP = 'demo-web';
export const DEMO_SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:firedrill/demo-api-key';

const demoImage: ImageConfig = {
  entryPoint: ['node', join(demoAppDir, 'server.mjs')],
  command: [],
  tags: DEMO_TAGS,
  environment: {},
  binDir: join(demoAppDir, 'bin'),
  workingDirectory: demoAppDir,
};

const defaultTargetGroup = (name: string, listenerPort: number): TargetGroupConfig => ({
  name,
  listenerPort,
  healthCheck: { path: '/health', intervalSeconds: 10, timeoutSeconds: 5, healthyThreshold: 2, unhealthyThreshold: 2, matcher: '200' },
  deregistrationDelaySeconds: 20,
});

export const defaultConfig = (): SandboxConfig => ({
  port: DEFAULT_PORT,
  region: 'us-east-1',
  accountId: '000000000000',
  images: { [DEMO_IMAGE]: demoImage },
  // A stand-in for Secrets Manager; the value is a canary, not a credential.
  secrets: { [DEMO_SECRET_ARN]: 'demo-secret-value-not-real' },
  targetGroups: [defaultTargetGroup(DEMO_TARGET_GROUP, 4600)],
  timing: { ...defaultTiming },
  dataDir: resolve('reports', 'sandbox'),
});

const port = z.number().int().min(0).max(65535);

const fileSchema = z.strictObject({
  port: port.optional(),
  region: z.string().min(1).optional(),
  accountId: z.string().regex(/^\d{12}$/, 'must be 12 digits').optional(),
  dataDir: z.string().min(1).optional(),
  images: z
    .record(
      z.string().min(1),
      z.strictObject({
        entryPoint: z.array(z.string()).min(1),
        command: z.array(z.string()).default([]),
        tags: z.array(z.string()).default([]),
        environment: z.record(z.string(), z.string()).default({}),
        binDir: z.string().optional(),
        workingDirectory: z.string().optional(),
      }),
    )
    .optional(),
  secrets: z.record(z.string(), z.string()).optional(),
  targetGroups: z
    .array(
      z.strictObject({
        name: z.string().regex(/^[A-Za-z0-9-]{1,32}$/, 'must be 1-32 letters, digits or hyphens, as ELB requires'),
        listenerPort: port,
        healthCheck: z
          .strictObject({
            path: z.string().startsWith('/').default('/health'),
            intervalSeconds: z.number().min(5).max(300).default(10),
            timeoutSeconds: z.number().min(2).max(120).default(5),
            healthyThreshold: z.number().int().min(2).max(10).default(2),
            unhealthyThreshold: z.number().int().min(2).max(10).default(2),
            matcher: z.string().regex(/^\d{3}(-\d{3})?(,\d{3}(-\d{3})?)*$/, 'must look like 200, 200,204 or 200-399').default('200'),
          })
          .prefault({}),
        deregistrationDelaySeconds: z.number().min(0).max(3600).default(20),
      }),
    )
    .optional(),
  timing: z
    .strictObject({
      scale: z.number().positive().max(1).optional(),
      tickMs: z.number().int().min(10).max(5000).optional(),
      provisionSeconds: z.number().min(0).optional(),
      healthyWithoutChecksSeconds: z.number().min(0).optional(),
      stopTimeoutSeconds: z.number().min(0).optional(),
      minimumMs: z.number().min(0).optional(),
      timeoutFloorMs: z.number().min(0).optional(),
    })
    .optional(),
  faults: faultConfigSchema.optional(),
});

export type SandboxConfigFile = z.infer<typeof fileSchema>;

/** Defaults with the file's settings on top: images and secrets merge by key, target groups by name. */
export const mergeConfig = (base: SandboxConfig, overrides: SandboxConfigFile, baseDir = process.cwd()): SandboxConfig => {
  const targetGroups = new Map(base.targetGroups.map((tg) => [tg.name, tg]));
  for (const tg of overrides.targetGroups ?? []) targetGroups.set(tg.name, tg);
  const images = { ...base.images };
  for (const [repo, image] of Object.entries(overrides.images ?? {})) {
    images[repo] = {
      ...image,
      binDir: image.binDir === undefined ? undefined : resolve(baseDir, image.binDir),
      workingDirectory: image.workingDirectory === undefined ? undefined : resolve(baseDir, image.workingDirectory),
    };
  }
  return {
    port: overrides.port ?? base.port,
    region: overrides.region ?? base.region,
    accountId: overrides.accountId ?? base.accountId,
    dataDir: overrides.dataDir ? resolve(baseDir, overrides.dataDir) : base.dataDir,
    images,
    secrets: { ...base.secrets, ...overrides.secrets },
    targetGroups: [...targetGroups.values()],
    timing: { ...base.timing, ...overrides.timing },
    faults: overrides.faults ?? base.faults,
  };
};

export const loadConfigFile = (file: string): SandboxConfig => {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(file, undefined, undefined, undefined, `cannot read the sandbox config (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  return mergeConfig(defaultConfig(), parseYaml(text, file, fileSchema), dirname(resolve(file)));
};
