// The sandbox as a user runs it: `node bin/firedrill.js sandbox start` in its own process, so
// the bench's own work (a load generator, a poller) never shares an event loop with the thing
// it measures. The endpoint, load balancer and event log come from the lines the CLI prints.

import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ofKind, readEventLog } from '../sandbox/index.ts';
import { onCleanup, pollUntil } from './lifecycle.ts';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const STOP_DEADLINE_MS = 20_000;

export interface SandboxExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** From the signal to the process's exit. */
  ms: number;
  /** Whether it had to be SIGKILLed after the deadline. */
  killed: boolean;
}

export interface SandboxProcess {
  pid: number;
  endpoint: string;
  region: string;
  lbUrl: string;
  targetGroupArn: string;
  eventLogPath: string;
  /** SIGTERM, then wait for the process to exit (SIGKILL after a deadline). */
  stop(): Promise<SandboxExit>;
}

export interface SandboxProcessOptions {
  /**
   * Run it in a process group of its own, so a Ctrl-C at the terminal does not reach it: for a
   * section whose workload must restore the service through the sandbox before it is stopped.
   * It is then stopped only by stop() (or SIGTERMed as the bench exits).
   */
  detached?: boolean;
  /** The sandbox config's timing profile (ECS's real timings: {scale: 1, provisionSeconds: 30}); the default profile without it. */
  timing?: { scale: number; provisionSeconds: number };
}

/** Starts `firedrill sandbox start --port 0` with one target group (demo-web) on a free port and data in `workDir`. */
export const startSandboxProcess = async (workDir: string, options: SandboxProcessOptions = {}): Promise<SandboxProcess> => {
  const configFile = join(workDir, 'sandbox.yaml');
  // JSON is YAML: the config needs no YAML library here.
  const config = { dataDir: join(workDir, 'data'), targetGroups: [{ name: 'demo-web', listenerPort: 0 }], ...(options.timing && { timing: options.timing }) };
  writeFileSync(configFile, JSON.stringify(config, null, 2) + '\n');

  const child = spawn(process.execPath, [join(repoRoot, 'bin', 'firedrill.js'), 'sandbox', 'start', '--port', '0', '--config', configFile], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.detached === true,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-4000)));
  // Set by the exit handler; read through a holder so TypeScript does not narrow it away.
  const ended: { exit?: { code: number | null; signal: NodeJS.Signals | null } } = {};
  const exitOf = () => ended.exit;
  const exited = new Promise<void>((done) =>
    child.once('exit', (code, signal) => {
      ended.exit = { code, signal };
      done();
    }),
  );
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start the sandbox process: ${stderr}`);
  // Out of the terminal's process group, nothing else stops it if the bench exits without its
  // cleanups (a second Ctrl-C): SIGTERM it on the way out, and it stops its tasks.
  const onExit = () => {
    if (!ended.exit) child.kill('SIGTERM');
  };
  if (options.detached) {
    process.once('exit', onExit);
    void exited.then(() => process.off('exit', onExit));
  }

  let stopping: Promise<SandboxExit> | undefined;
  const stop = (): Promise<SandboxExit> =>
    (stopping ??= (async () => {
      unregister();
      const sentAt = Date.now();
      if (ended.exit) return { ...ended.exit, ms: 0, killed: false };
      child.kill('SIGTERM');
      // Not pollUntil: this also runs after Ctrl-C, when every poll gives up at once.
      let deadline: NodeJS.Timeout | undefined;
      const inTime = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => (deadline = setTimeout(() => r(false), STOP_DEADLINE_MS)))]);
      clearTimeout(deadline);
      if (!inTime) {
        child.kill('SIGKILL');
        await exited;
      }
      const final = exitOf();
      return { code: final?.code ?? null, signal: final?.signal ?? null, ms: Date.now() - sentAt, killed: !inTime };
    })());
  const unregister = onCleanup(`the sandbox process (pid ${pid})`, async () => void (await stop()));

  try {
    const started = await pollUntil(
      'the sandbox process to print its endpoint and load balancer',
      () => {
        const { exit } = ended;
        if (exit) throw new Error(`the sandbox process exited (${exit.code ?? exit.signal}) before it was ready:\n${stderr || stdout}`);
        const endpoint = /ECS endpoint\s+(http:\/\/\S+)\s+\(region (\S+?),/.exec(stdout);
        const lb = /load balancer\s+(http:\/\/\S+)\s+\(target group demo-web\)/.exec(stdout);
        const log = /event log\s+(\S+)/.exec(stdout);
        return endpoint?.[1] && endpoint[2] && lb?.[1] && log?.[1] ? { endpoint: endpoint[1], region: endpoint[2], lbUrl: lb[1], eventLogPath: log[1] } : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 25, describe: () => stdout.trim().split('\n').at(-1) ?? '' },
    );
    for (const url of [started.endpoint, started.lbUrl]) {
      if (new URL(url).hostname !== '127.0.0.1') throw new Error(`the sandbox printed ${url}, which is not on 127.0.0.1`);
    }
    // The CLI prints the listener's URL, not its target group ARN; the ground truth has both.
    const listeners = ofKind(readEventLog(started.eventLogPath), 'sandbox.started')[0]?.listeners;
    const targetGroupArn = listeners?.find((l) => l.name === 'demo-web')?.targetGroupArn;
    if (!targetGroupArn) throw new Error(`no demo-web target group in the sandbox.started event of ${started.eventLogPath}`);
    return { pid, ...started, targetGroupArn, stop };
  } catch (error) {
    await stop();
    throw error;
  }
};
