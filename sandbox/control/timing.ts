// ECS's intervals, scaled down so a whole drill takes seconds. Every duration in the API and
// the sandbox config is in ECS seconds (a health check interval of 30 means 30 ECS seconds);
// the profile turns it into sandbox milliseconds.

export interface TimingProfile {
  /** Sandbox seconds per ECS second. 0.05 turns a 30 s health check interval into 1.5 s. */
  scale: number;
  /** How often the controller reconciles, in real milliseconds. */
  tickMs: number;
  /** ECS seconds a task spends provisioning and pulling before its containers start. */
  provisionSeconds: number;
  /** ECS seconds after which a RUNNING task with no health checks counts as healthy (ECS: 40). */
  healthyWithoutChecksSeconds: number;
  /** ECS seconds between SIGTERM and SIGKILL when a container definition sets no stopTimeout (ECS: 30). */
  stopTimeoutSeconds: number;
  /** Floor for any scaled duration, in real milliseconds, so a 2-core machine keeps up. */
  minimumMs: number;
  /**
   * Floor for health-check timeouts, in real milliseconds. A check that spawns a process or opens
   * a connection needs this long on a busy machine whatever the scale; a scaled 2 s timeout of
   * 100 ms would fail healthy tasks.
   */
  timeoutFloorMs: number;
}

export const defaultTiming: TimingProfile = {
  scale: 0.05,
  tickMs: 100,
  provisionSeconds: 4,
  healthyWithoutChecksSeconds: 40,
  stopTimeoutSeconds: 30,
  minimumMs: 50,
  timeoutFloorMs: 2000,
};

/** ECS seconds -> sandbox milliseconds. */
export const scaled = (profile: TimingProfile, ecsSeconds: number): number =>
  Math.max(profile.minimumMs, Math.round(ecsSeconds * 1000 * profile.scale));

/** A health-check timeout in ECS seconds -> sandbox milliseconds, never below the timeout floor. */
export const scaledTimeout = (profile: TimingProfile, ecsSeconds: number): number =>
  Math.max(profile.timeoutFloorMs, scaled(profile, ecsSeconds));
