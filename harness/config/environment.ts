// An environment: where a drill runs. The endpoint is absent for a real account.

import { z } from 'zod';

/**
 * The 10-minute rollback budget: a drill's default recovery pass mark and hard stop, the metrics'
 * rollback-time alert, validate's default rollback budget, and what `firedrill check` holds the
 * worst-case rollback to.
 */
export const ROLLBACK_BUDGET_SECONDS = 600;

/**
 * How much of a service a drill may affect: the tasks the bad release may replace or take out of
 * service in the worst case (see harness/safety/blast-radius.ts). Either bound, or both.
 */
export const blastRadiusSchema = z.strictObject({
  maxTasks: z.number().int().min(0).optional(),
  /** 0..100, of the service's desired count. */
  maxPercent: z.number().min(0).max(100).optional(),
});
export type BlastRadius = z.infer<typeof blastRadiusSchema>;

export const environmentSchema = z
  .strictObject({
  name: z.string().min(1),
  kind: z.enum(['sandbox', 'staging', 'production']),
  /** ECS endpoint override: the sandbox or LocalStack. Absent means the real AWS endpoint. */
  endpoint: z.url().optional(),
  region: z.string().min(1).default('us-east-1'),
  cluster: z.string().min(1),
  /** AWS account ids a drill may touch (checked with STS GetCallerIdentity). */
  allowedAccountIds: z.array(z.string().regex(/^\d{12}$/, 'must be 12 digits')).default([]),
  services: z
    .record(
      z.string().min(1),
      z.strictObject({
        /** The ECS service name; the key when omitted. */
        service: z.string().min(1).optional(),
        /** Where users reach it (the load balancer). */
        url: z.url(),
        /** Path the prober hits; it should answer JSON with a `version` field, or the header below. */
        probePath: z.string().startsWith('/').default('/api/version'),
        /** Response header naming the release that served, when the body does not. */
        versionHeader: z.string().default('x-app-version'),
      }),
    )
    .refine((s) => Object.keys(s).length > 0, 'must name at least one service'),
  probe: z
    .strictObject({
      intervalMs: z.number().int().min(50).default(500),
      timeoutMs: z.number().int().min(50).default(2000),
    })
    .prefault({}),
  poll: z.strictObject({ intervalMs: z.number().int().min(50).default(500) }).prefault({}),
  /**
   * Every phase has a deadline; past it the drill stops and restores. Restore has its own, so no
   * deadline ever cuts a restore short.
   */
  timeouts: z
    .strictObject({
      /** Reading the service and the baseline task definition, the guards and the lock. */
      preflightSeconds: z.number().positive().default(60),
      /** Baseline checks, including waiting for a steady service and the smoke checks. */
      baselineSeconds: z.number().positive().default(120),
      /** Registering the bad release and shipping it (a deploy command has its own timeoutSeconds too). */
      injectSeconds: z.number().positive().default(300),
      /**
       * The rollback budget: detection, rollback and recovery together, from inject. A scenario's
       * expectations.recoveryWithinSeconds is the pass mark; this is the hard stop above it.
       */
      recoverySeconds: z.number().positive().default(ROLLBACK_BUDGET_SECONDS),
      /** Smoke checks after recovery. */
      smokeSeconds: z.number().positive().default(120),
      /** Restore: back to the baseline task definition and steady. */
      restoreSeconds: z.number().positive().default(600),
      /** The whole drill before restore; restore then has restoreSeconds of its own. */
      drillSeconds: z.number().positive().default(1800),
    })
    .prefault({}),
  /** Caps what a drill may affect in this environment; scenarios may cap lower, never higher. */
  blastRadius: blastRadiusSchema.optional(),
  /** For kind sandbox: start an embedded sandbox and deploy the demo service when nothing answers at the endpoint. */
  sandbox: z
    .strictObject({
      embedded: z.boolean().default(true),
      config: z.string().optional(),
    })
    .optional(),
})
  // A real account must be named: a drill that cannot check where it is must not run there.
  .refine((e) => e.kind === 'sandbox' || e.allowedAccountIds.length > 0, {
    path: ['kind'],
    message: 'a staging or production environment needs allowedAccountIds: the AWS account ids drills may touch (checked with STS GetCallerIdentity)',
  });
export type Environment = z.infer<typeof environmentSchema>;
