// Runs tasks that each have a setup and may have a teardown, in the shape of Playwright's
// runner/taskRunner.ts: a task's teardown is queued as soon as its setup starts (so a setup that
// fails halfway is still undone), a failed setup skips the tasks after it, and the teardowns run
// in reverse order, every one of them, whatever failed before.
//
// Tasks hand typed outputs to the next: `run(task, input)` returns the task's output, so the
// phase after it is called with what it needs instead of reading a half-filled record.

export interface Task<In, Out> {
  /** For problems and progress: "preflight", "observers" ... */
  name: string;
  /** Set for a task the drill records as a phase; fixtures (the observers, the browser) have none. */
  phase?: string;
  setup(input: In): Promise<Out>;
  teardown?(): Promise<void>;
}

export interface TaskHooks {
  /** Wraps a setup (the drill records a phase, with its deadline). */
  setup<T>(task: { name: string; phase?: string }, body: () => Promise<T>): Promise<T>;
  /** Wraps all the teardowns together (the drill's restore phase). */
  teardown(body: () => Promise<void>): Promise<void>;
}

/** A teardown failed; the others still ran. */
export class TeardownError extends Error {
  constructor(readonly failures: Array<{ task: string; error: unknown }>) {
    super(failures.map((f) => (f.error instanceof Error ? f.error.message : String(f.error))).join('; '));
    this.name = 'TeardownError';
  }
}

const direct: TaskHooks = { setup: (_task, body) => body(), teardown: (body) => body() };

export class TaskRunner {
  private readonly teardowns: Array<{ task: string; teardown: () => Promise<void> }> = [];

  constructor(private readonly hooks: TaskHooks = direct) {}

  async run<In, Out>(task: Task<In, Out>, input: In): Promise<Out> {
    if (task.teardown) this.teardowns.push({ task: task.name, teardown: task.teardown.bind(task) });
    return this.hooks.setup(task, () => task.setup(input));
  }

  /** Every queued teardown, last queued first; throws a TeardownError naming those that failed. */
  async teardown(): Promise<void> {
    const queued = this.teardowns.splice(0).reverse();
    await this.hooks.teardown(async () => {
      const failures: Array<{ task: string; error: unknown }> = [];
      for (const { task, teardown } of queued) {
        try {
          await teardown();
        } catch (error) {
          failures.push({ task, error });
        }
      }
      if (failures.length > 0) throw new TeardownError(failures);
    });
  }
}
