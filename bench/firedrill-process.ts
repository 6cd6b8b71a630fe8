// `node bin/firedrill.js <command> ...` as a user or a scheduler runs it, in a process group of
// its own, for the sections that time whole commands (drills, validate): its output kept in a
// log, one SIGINT to stop it (then it restores before it exits), and nothing of it left behind
// if the bench exits. Also the environment file those commands run against.

import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { seconds } from '../lib/format.ts';
import { onCleanup } from './lifecycle.ts';
import { descendantsOf } from './procfs.ts';
import { progress } from './report.ts';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** After SIGINT the command restores (restoreSeconds below at most) and writes its journal. */
const STOP_DEADLINE_MS = 360_000;

export const CLUSTER = 'firedrill';
export const SERVICE = 'demo';

/** As `firedrill demo` runs its drills: environments/sandbox.yaml's intervals and timeouts, this sandbox's endpoint and listener. */
export const environmentFor = (endpoint: string, lbUrl: string, timeouts: { baselineSeconds: number; restoreSeconds: number } = { baselineSeconds: 60, restoreSeconds: 120 }) => ({
  name: 'bench-sandbox',
  kind: 'sandbox',
  endpoint,
  region: 'us-east-1',
  cluster: CLUSTER,
  services: { demo: { service: SERVICE, url: lbUrl, probePath: '/api/version' } },
  probe: { intervalMs: 500, timeoutMs: 2000 },
  poll: { intervalMs: 500 },
  timeouts: { ...timeouts, drillSeconds: 900 },
  // A sandbox is already running: the command must not start one inside its own process.
  sandbox: { embedded: false },
});

export interface FiredrillExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  startedAt: number;
  endedAt: number;
  /** Why the bench sent SIGINT, if it did. */
  stoppedBy?: string;
}

export interface FiredrillProcess {
  pid: number;
  exited: Promise<FiredrillExit>;
  /** SIGINT, then wait for it to restore and exit (SIGKILL of its tree after a deadline). */
  stop(why: string): Promise<FiredrillExit>;
}

/** `node bin/firedrill.js ARGS...`: runs lines of the child's output through `onLine`, keeping every byte in `logFile`. */
export const startFiredrillProcess = (args: string[], logFile: string, onLine: (line: string) => void): FiredrillProcess => {
  const command = args[0] ?? '';
  const log = createWriteStream(logFile);
  const startedAt = Date.now();
  // Detached: a Ctrl-C at the terminal must not reach the run (or it would get the signal twice);
  // the bench sends it exactly one SIGINT, as a scheduler's stop would.
  const child = spawn(process.execPath, [join(repoRoot, 'bin', 'firedrill.js'), ...args], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start firedrill ${command}`);
  for (const stream of [child.stdout, child.stderr]) {
    let partial = '';
    stream.setEncoding('utf8').on('data', (chunk: string) => {
      log.write(chunk);
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) onLine(line);
    });
  }
  let stoppedBy: string | undefined;
  const exited = new Promise<FiredrillExit>((done) =>
    child.once('exit', (code, signal) => {
      const endedAt = Date.now();
      log.end();
      done({ code, signal, startedAt, endedAt, ...(stoppedBy !== undefined && { stoppedBy }) });
    }),
  );
  let gone = false;
  void exited.then(() => (gone = true));

  const killTree = () => {
    for (const p of [...descendantsOf(pid).reverse(), { pid }]) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        // Gone already.
      }
    }
  };
  // If the bench exits without waiting (a second Ctrl-C), nothing of the run may stay behind.
  const onExit = () => {
    if (!gone) killTree();
  };
  process.once('exit', onExit);
  void exited.then(() => process.off('exit', onExit));

  let stopping: Promise<FiredrillExit> | undefined;
  const stop = (why: string): Promise<FiredrillExit> =>
    (stopping ??= (async () => {
      unregister();
      if (gone) return exited;
      stoppedBy = why;
      const sentAt = Date.now();
      progress(`${why}: SIGINT to firedrill ${command} (pid ${pid}); waiting while it restores the service and writes its report`);
      child.kill('SIGINT');
      // Not pollUntil: this runs after Ctrl-C too, when every poll gives up at once.
      let deadline: NodeJS.Timeout | undefined;
      const inTime = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => (deadline = setTimeout(() => r(false), STOP_DEADLINE_MS)))]);
      clearTimeout(deadline);
      if (!inTime) {
        progress(`firedrill ${command} did not exit ${STOP_DEADLINE_MS / 1000} s after SIGINT: SIGKILL to it and its descendants`);
        killTree();
      }
      const exit = await exited;
      progress(`firedrill ${command} exited (${exit.code ?? exit.signal}) ${seconds(exit.endedAt - sentAt)} after SIGINT`);
      return exit;
    })());
  const unregister = onCleanup(`firedrill ${command} (pid ${pid}; SIGINT, then it restores before it exits)`, async () => void (await stop('Ctrl-C')));
  void exited.then(() => unregister());
  return { pid, exited, stop };
};

