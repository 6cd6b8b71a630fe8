// An environment: where a drill runs. The endpoint is absent for a real account.

import { z } from 'zod';

export const environmentSchema = z.strictObject({
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
  timeouts: z
    .strictObject({
      /** Baseline checks, including waiting for a steady service. */
      baselineSeconds: z.number().positive().default(120),
      /** Restore: back to the baseline task definition and steady. */
      restoreSeconds: z.number().positive().default(600),
      /** The whole drill. */
      drillSeconds: z.number().positive().default(1800),
    })
    .prefault({}),
  /** For kind sandbox: start an embedded sandbox and deploy the demo service when nothing answers at the endpoint. */
  sandbox: z
    .strictObject({
      embedded: z.boolean().default(true),
      config: z.string().optional(),
    })
    .optional(),
});
export type Environment = z.infer<typeof environmentSchema>;
