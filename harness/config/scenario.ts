// A scenario: what to break, how it ships, which rollback path must bring the service back,
// and what must hold. The schema is the documentation of the file format; every field has a
// default where a sensible one exists.

import { z } from 'zod';
import { blastRadiusSchema, ROLLBACK_BUDGET_SECONDS } from './environment.ts';

const seconds = z.number().positive();

/**
 * The tag the failing release ships as (a team ships a broken release under a new tag, e.g. the
 * next version). Default: the baseline's tag. With its own tag, the probes can tell which release
 * answered, so the bad release's share of traffic is measured.
 */
const shipTag = z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, 'must be a valid image tag').optional();

/** The failing release, as a mutation of the baseline task definition. */
export const releaseSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('missing-image-tag'),
    /** The tag that does not exist; default `firedrill-missing-<run id>`. */
    tag: z.string().min(1).optional(),
  }),
  z.strictObject({
    kind: z.literal('crash-on-start'),
    tag: shipTag,
    /** App-specific switch, e.g. { FAIL_CRASH_ON_START: "1" }; without it the entry point is replaced by a command that exits 1. */
    environment: z.record(z.string(), z.string()).optional(),
  }),
  z.strictObject({
    kind: z.literal('crash-after'),
    tag: shipTag,
    /** Real seconds (the app's own clock, not the sandbox's scaled one): longer than the load balancer's healthy threshold on a real cluster. */
    seconds: seconds,
    /** The app's switch that takes the seconds (the demo app's FAIL_CRASH_AFTER_SECONDS). */
    variable: z.string().min(1).default('FAIL_CRASH_AFTER_SECONDS'),
  }),
  z.strictObject({
    kind: z.literal('failing-health-check'),
    tag: shipTag,
    /** The health check command of the bad release; default CMD-SHELL `exit 1`. */
    command: z.array(z.string()).min(1).optional(),
  }),
  z.strictObject({
    kind: z.literal('wrong-container-port'),
    tag: shipTag,
    /** The port the bad release listens on instead of the mapped one. */
    port: z.number().int().min(1).max(65535).default(9999),
    /** The variable the app reads its port from. */
    variable: z.string().min(1).default('PORT'),
  }),
  z.strictObject({
    kind: z.literal('memory-too-low'),
    tag: shipTag,
    /** The container's hard memory limit in MiB, below the app's footprint. */
    memory: z.number().int().min(6).default(16),
  }),
  z.strictObject({
    kind: z.literal('missing-env'),
    tag: shipTag,
    /** The environment variable the bad release lacks. */
    name: z.string().min(1),
  }),
  z.strictObject({
    kind: z.literal('missing-secret'),
    tag: shipTag,
    /** The secret (by its variable name) whose valueFrom points at nothing in the bad release. */
    name: z.string().min(1),
  }),
  z.strictObject({
    kind: z.literal('http-errors'),
    tag: shipTag,
    /** Share of requests answered with 5xx. */
    rate: z.number().gt(0).max(1).default(1),
    /** The app's switches; the demo app's by default. When given, they replace `rate`. */
    environment: z.record(z.string(), z.string()).optional(),
  }),
  z.strictObject({
    kind: z.literal('slow-responses'),
    tag: shipTag,
    latencyMs: z.number().int().positive().default(1500),
    variable: z.string().min(1).default('FAIL_LATENCY_MS'),
  }),
]);
export type ReleaseSpec = z.infer<typeof releaseSchema>;
export type ReleaseKind = ReleaseSpec['kind'];

/** How the bad release ships. */
export const rolloutSchema = z
  .discriminatedUnion('method', [
    z.strictObject({ method: z.literal('update-service') }),
    z.strictObject({
      method: z.literal('command'),
      /** The team's deploy command; placeholders as for rollback commands, plus {taskDefinition} and {image}. */
      command: z.string().min(1),
      timeoutSeconds: seconds.default(300),
    }),
  ])
  .default({ method: 'update-service' });
export type RolloutSpec = z.infer<typeof rolloutSchema>;

/** A gate signal: firedrill's own analysis of the probe series, in the manner of Argo Rollouts' analysis. */
export const gateSignalSchema = z.strictObject({
  name: z.string().min(1).optional(),
  metric: z.enum(['error-rate', 'latency-p95']),
  /** Sliding window over the probe series. */
  windowSeconds: seconds.default(5),
  /** error-rate: share 0..1 of failed probes; latency-p95: milliseconds. */
  threshold: z.number().nonnegative(),
  /** How many consecutive failing evaluations fire the signal (Argo's failureLimit + 1). */
  failureLimit: z.number().int().min(1).default(2),
  /** Evaluations need at least this many probes in the window. */
  minSamples: z.number().int().min(1).default(4),
});
export type GateSignal = z.infer<typeof gateSignalSchema>;

/** The rollback path the drill exercises. */
export const rollbackSchema = z.discriminatedUnion('path', [
  /** ECS's own deployment circuit breaker with rollback; firedrill only watches. */
  z.strictObject({ path: z.literal('circuit-breaker') }),
  /** firedrill redeploys the baseline task definition (the previous tag) when a gate signal fires. */
  z.strictObject({ path: z.literal('redeploy-previous') }),
  /** firedrill asks ECS to roll back (StopServiceDeployment ROLLBACK) when a gate signal fires; ECS does the rollback. */
  z.strictObject({ path: z.literal('stop-deployment') }),
  /** The team's rollback command, run through zx when a gate signal fires. */
  z.strictObject({
    path: z.literal('command'),
    /** Placeholders: {cluster} {service} {region} {endpoint} {baselineTaskDefinition} {baselineImage} {baselineTag} {badTaskDefinition}. */
    command: z.string().min(1),
    timeoutSeconds: seconds.default(300),
  }),
]);
export type RollbackSpec = z.infer<typeof rollbackSchema>;

export const expectationsSchema = z
  .strictObject({
    /** From inject until the baseline serves every probe for the stable window and its deployment is COMPLETED. */
    recoveryWithinSeconds: seconds.default(ROLLBACK_BUDGET_SECONDS),
    /** From inject until the first failure signal (ECS or a gate). */
    detectionWithinSeconds: seconds.optional(),
    /** The bad release never reaches rolloutState COMPLETED. */
    badReleaseNeverCompletes: z.boolean().default(true),
    /** How the bad deployment must end: FAILED (circuit breaker) or gone (replaced by a redeploy). */
    badDeploymentEnds: z.enum(['FAILED', 'replaced', 'any']).default('any'),
    /** The bad release's share of probes answered, 0..1. */
    maxBadTrafficShare: z.number().min(0).max(1).default(1),
    /** The service ends on the baseline task definition with running = desired. */
    endsOnBaseline: z.boolean().default(true),
    /** The baseline must serve every probe for this long for recovery to count. */
    stableWindowSeconds: seconds.default(3),
  })
  .prefault({});
export type Expectations = z.infer<typeof expectationsSchema>;

export const httpCheckSchema = z.strictObject({
  name: z.string().min(1).optional(),
  method: z.enum(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']).default('GET'),
  path: z.string().startsWith('/'),
  status: z.number().int().min(100).max(599).default(200),
  bodyContains: z.string().optional(),
  /** JSON path (dots and [n]) -> expected value, e.g. { "version": "{baselineTag}" }. */
  json: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).optional(),
  /** Header name -> expected value (exact) or /regex/. */
  headers: z.record(z.string(), z.string()).optional(),
  body: z.string().optional(),
  timeoutMs: z.number().int().positive().default(5000),
});
export type HttpCheck = z.infer<typeof httpCheckSchema>;

export const browserCheckSchema = z.strictObject({
  name: z.string().min(1).optional(),
  path: z.string().startsWith('/').default('/'),
  /** Texts that must be visible on the page; placeholders allowed. */
  visibleText: z.array(z.string()).default([]),
  noConsoleErrors: z.boolean().default(true),
  screenshot: z.boolean().default(true),
  timeoutMs: z.number().int().positive().default(15000),
});
export type BrowserCheck = z.infer<typeof browserCheckSchema>;

export const smokeSchema = z
  .strictObject({
    http: z.array(httpCheckSchema).default([]),
    browser: z.array(browserCheckSchema).default([]),
    /** Hand-written Playwright smoke specs, relative to the scenario file. */
    specs: z.array(z.string().min(1)).default([]),
  })
  .prefault({});
export type SmokeSpec = z.infer<typeof smokeSchema>;

export const scenarioSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'must be lowercase letters, digits and hyphens'),
  description: z.string().min(1),
  /** Free labels; `production` allows the scenario in a production environment (with --allow-production). */
  tags: z.array(z.string().min(1)).default([]),
  /** The service, by its name in the environment file. */
  target: z.strictObject({ service: z.string().min(1) }),
  release: releaseSchema,
  rollout: rolloutSchema,
  rollback: rollbackSchema,
  gate: z.strictObject({ signals: z.array(gateSignalSchema).default([]) }).prefault({}),
  expectations: expectationsSchema,
  smoke: smokeSchema,
  /** Caps what this drill may affect; the stricter of this and the environment's cap applies. */
  blastRadius: blastRadiusSchema.optional(),
});
export type Scenario = z.infer<typeof scenarioSchema>;
