// A deterministic Ids for tests: sequential, but shaped like ECS's ids.

import type { Ids } from '../../sandbox/control/state.ts';

export class SequentialIds implements Ids {
  private deployments = 0;
  private tasks = 0;
  private uuids = 0;

  /** `ecs-svc/` and 19 digits. */
  deploymentId(): string {
    this.deployments += 1;
    return `ecs-svc/${(1_000_000_000_000_000_000n + BigInt(this.deployments)).toString()}`;
  }

  /** 32 hex characters. */
  taskId(): string {
    this.tasks += 1;
    return `${'f'.repeat(8)}${this.tasks.toString(16).padStart(24, '0')}`;
  }

  /** An RFC 4122-shaped (version 4) UUID. */
  uuid(): string {
    this.uuids += 1;
    const hex = this.uuids.toString(16).padStart(12, '0');
    return `00000000-0000-4000-8000-${hex}`;
  }
}
