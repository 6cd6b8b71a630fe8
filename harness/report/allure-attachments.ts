// What the drill spec attaches to its Allure result, as text: the ECS service events, the
// stopped tasks' reasons, the probe series (CSV), the diff, the baseline's security findings,
// and the environment parameters.
// Pure functions of the journal, like the other reports.

import { formatDiff } from '../releases/diff.ts';
import type { ProbeObservation, ServiceObservation } from '../observe/timeline.ts';
import type { Journal } from '../journal/journal.ts';
import { countBySeverity, formatFinding } from '../security/findings.ts';

const iso = (t: number | undefined): string => (t === undefined ? '-' : new Date(t).toISOString());

const serviceObservations = (j: Journal): ServiceObservation[] =>
  j.timeline.filter((o): o is ServiceObservation => o.source === 'service');

/** Every ECS service event the drill saw, oldest first, one a line. */
export const serviceEventsText = (j: Journal): string => {
  const seen = new Set<string>();
  const events = serviceObservations(j)
    .flatMap((o) => o.newEvents)
    .filter((e) => (seen.has(e.id) ? false : (seen.add(e.id), true)))
    .sort((a, b) => a.createdAt - b.createdAt);
  return events.length === 0 ? '(no service events)\n' : events.map((e) => `${iso(e.createdAt)} ${e.message}`).join('\n') + '\n';
};

/** Every task that stopped during the drill, with its stop code, reason and exit codes. */
export const stoppedTasksText = (j: Journal): string => {
  const tasks = serviceObservations(j).flatMap((o) => o.newStoppedTasks);
  if (tasks.length === 0) return '(no stopped tasks)\n';
  return (
    tasks
      .map((t) => {
        const exits = Object.entries(t.exitCodes)
          .map(([c, code]) => `${c}=${code ?? '-'}`)
          .join(', ');
        return `${iso(t.stoppedAt)} ${t.taskArn} (${t.taskDefinitionArn}) ${t.stopCode ?? '-'}: ${t.stoppedReason ?? '(no reason)'}${exits ? ` [exit ${exits}]` : ''}`;
      })
      .join('\n') + '\n'
  );
};

const csvField = (value: string | number | boolean | undefined): string => {
  if (value === undefined) return '';
  const s = String(value);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

export const PROBE_CSV_HEADER = 't_ms_from_inject,ok,status,version,latency_ms,error';

/** The probe series; times are relative to the injection (or to the drill's start when nothing was injected). */
export const probeSeriesCsv = (j: Journal): string => {
  const zero = j.markers.injectAt ?? j.startedAt;
  const rows = j.timeline
    .filter((o): o is ProbeObservation => o.source === 'probe')
    .map((p) => [p.t - zero, p.ok, p.status, p.version, Math.round(p.latencyMs), p.error].map(csvField).join(','));
  return [PROBE_CSV_HEADER, ...rows].join('\n') + '\n';
};

/** The diff between the baseline and the injected task definition, redacted. */
export const diffText = (j: Journal): string => (j.injected ? formatDiff(j.injected.diff) || '(no differences)' : '(nothing injected)') + '\n';

/** The baseline's security findings (`firedrill check`'s), one with its fix under it, then the tally. */
export const securityFindingsText = (j: Journal): string => {
  const findings = j.security?.findings;
  if (!findings) return '(not checked)\n';
  return [...findings.map((f) => formatFinding(f)), countBySeverity(findings)].join('\n') + '\n';
};

/** Smoke screenshots, baseline first. */
export const smokeScreenshots = (j: Journal): Array<{ name: string; path: string; contentType: string }> =>
  (['baseline', 'afterRecovery'] as const).flatMap((when) =>
    j.smoke[when].flatMap((r) =>
      r.attachments.filter((a) => a.contentType === 'image/png' || a.path.endsWith('.png')).map((a) => ({ name: `smoke ${when}: ${r.name} ${a.name}`, path: a.path, contentType: 'image/png' })),
    ),
  );

export interface ResultParameter {
  name: string;
  value: string;
  /**
   * Left out of the test's identity. Allure tells runs of the same test apart by a history id
   * made of its full name and its parameters; a value that changes from run to run (the
   * injected release names the run, the sandbox's port is picked per start, the baseline moves
   * on with every release) would make each run a new test, with no history and no trend.
   */
  excluded: boolean;
}

/** Environment parameters shown on the result; identity is the environment, cluster and service. */
export const environmentParameters = (j: Journal): ResultParameter[] => [
  { name: 'environment', value: j.environment.name, excluded: false },
  { name: 'endpoint or region', value: j.environment.endpoint ?? j.environment.region, excluded: true },
  { name: 'cluster', value: j.environment.cluster, excluded: false },
  { name: 'service', value: j.environment.service, excluded: false },
  { name: 'baseline release', value: j.baseline ? `${j.baseline.tag ?? j.baseline.image} (${j.baseline.taskDefinitionArn})` : '-', excluded: true },
  { name: 'injected release', value: j.injected ? `${j.injected.summary} (${j.injected.taskDefinitionArn})` : '-', excluded: true },
];
