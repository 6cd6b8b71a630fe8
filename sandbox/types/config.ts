// The sandbox's own configuration: what stands in for the container registry, Secrets Manager
// and the ELB target groups. Loaded from YAML by sandbox/config.ts; defaults make it optional.

import type { FaultConfig } from '../api/faults.ts';
import type { TimingProfile } from '../control/timing.ts';

export interface ImageConfig {
  /** The command the image runs (its ENTRYPOINT); a task definition's entryPoint replaces it. */
  entryPoint: string[];
  /** The image's default arguments (its CMD); a task definition's command replaces them. */
  command: string[];
  /** Tags that exist; a task asking for another tag fails to pull. Empty means any tag. */
  tags: string[];
  /** Environment the image sets; the tag is also given as APP_VERSION. */
  environment: Record<string, string>;
  /** Prepended to PATH for the container and its health check, like an image's own tools. */
  binDir?: string;
  /** Working directory of the container's processes. */
  workingDirectory?: string;
}

export interface TargetGroupConfig {
  /** The target group's name; services refer to it by an ARN that contains it. */
  name: string;
  /** Loopback port of the listener in front of it; 0 picks a free one. */
  listenerPort: number;
  healthCheck: {
    path: string;
    intervalSeconds: number;
    timeoutSeconds: number;
    healthyThreshold: number;
    unhealthyThreshold: number;
    /** Status codes that count as healthy, as ELB's matcher: "200" or "200-399". */
    matcher: string;
  };
  deregistrationDelaySeconds: number;
}

export interface SandboxConfig {
  /** ECS API port on 127.0.0.1; 0 picks a free one. */
  port: number;
  region: string;
  accountId: string;
  /** Image repository (without registry host or tag) -> how to run it. */
  images: Record<string, ImageConfig>;
  /** Stand-in for Secrets Manager and SSM: valueFrom (ARN or name) -> value. */
  secrets: Record<string, string>;
  targetGroups: TargetGroupConfig[];
  timing: TimingProfile;
  /** Where task logs and the event log go. */
  dataDir: string;
  /** API faults injected from the start (throttling, 5xx, latency); the admin endpoint changes them. */
  faults?: FaultConfig;
}
