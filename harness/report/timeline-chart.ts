// The timeline chart: one drill's journal as an SVG an auditor can read without help. Over the
// drill's time axis (seconds from inject): the phases, the measured detect / rollback / recovery
// times, the probe success rate, which release answered each probe, what firedrill and the gate
// did, and every ECS deployment with its states. Below it, the verdicts.
//
// Pure: a function of the journal alone, string out. Self-contained SVG (generic font families,
// no scripts, no external references); tooltips are <title> elements.

import type { DeploymentSnapshot, Observation, ProbeObservation, ServiceObservation } from '../observe/timeline.ts';
import type { Journal } from '../journal/journal.ts';
import { percent, seconds } from '../../lib/format.ts';
import { clean, escapeXml, wrap } from './text.ts';

const WIDTH = 1000;
const X0 = 215; // plot area, left
const X1 = 975; // plot area, right
const PAD = 20;
const FONT = 'Helvetica, Arial, sans-serif';
const MONO = 'Menlo, Consolas, monospace';

const COLORS = {
  text: '#212529',
  muted: '#5c636a',
  grid: '#e9ecef',
  axis: '#adb5bd',
  baseline: '#1c7ed6',
  bad: '#f08c00',
  others: ['#ae3ec9', '#0c8599', '#5c940d', '#e64980', '#795548'],
  noAnswer: '#868e96',
  ok: '#37b24d',
  failed: '#e03131',
  inject: '#212529',
  detect: '#e03131',
  rollback: '#7048e8',
  recover: '#2b8a3e',
  notRecovered: '#c92a2a',
  rollout: { IN_PROGRESS: '#fab005', COMPLETED: '#40c057', FAILED: '#fa5252', other: '#adb5bd' } as Record<string, string>,
};

const OUTCOME_COLORS: Record<string, string> = {
  passed: '#2b8a3e',
  failed: '#c92a2a',
  interrupted: '#7048e8',
  error: '#c92a2a',
  invalid: '#5c636a',
  locked: '#5c636a',
  'unhealthy-baseline': '#e67700',
  'restore-failed': '#a61e4d',
};

const PHASE_FILL: Record<string, string> = {
  ok: '#e7f5ff',
  failed: '#ffe3e3',
  interrupted: '#f3f0ff',
  skipped: '#f1f3f5',
  running: '#fff9db',
};

// ---------------------------------------------------------------------------------------------
// SVG primitives

type Attrs = Record<string, string | number | undefined>;

const attrs = (a: Attrs): string =>
  Object.entries(a)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${escapeXml(typeof v === 'number' ? num(v) : v!)}"`)
    .join('');

const num = (n: number): string => (Number.isFinite(n) ? String(Math.round(n * 10) / 10) : '0');

const el = (name: string, a: Attrs, children?: string): string =>
  children === undefined ? `<${name}${attrs(a)}/>` : `<${name}${attrs(a)}>${children}</${name}>`;

const tooltip = (text: string | undefined): string => (text ? `<title>${escapeXml(text)}</title>` : '');

const text = (x: number, y: number, content: string, a: Attrs = {}, title?: string): string =>
  el('text', { x, y, 'font-family': FONT, 'font-size': 12, fill: COLORS.text, ...a }, `${tooltip(title)}${escapeXml(content)}`);

/** Approximate rendered width of sans-serif text: good enough to keep labels apart. */
const textWidth = (content: string, size: number): number => {
  let em = 0;
  for (const c of content) em += /[A-Z_MW@%&—]/.test(c) ? 0.68 : /[ilj.,:;'|!()\[\] ]/.test(c) ? 0.3 : /[0-9]/.test(c) ? 0.56 : 0.52;
  return em * size;
};

const shorten = (s: string, max: number): string => (s.length > max ? `${s.slice(0, Math.max(1, max - 1))}…` : s);

// ---------------------------------------------------------------------------------------------
// What the chart shows, derived from the journal

interface Marker {
  t: number;
  label: string;
  color: string;
  dashed?: boolean;
  title: string;
}

interface Segment {
  from: number;
  to: number;
  snapshot: DeploymentSnapshot;
  /** How many polls it covers. */
  polls: number;
  lastRunning: number;
}

interface Lane {
  id: string;
  taskDefinition: string;
  role: 'baseline' | 'bad' | 'other';
  version?: string;
  segments: Segment[];
  failedEvents: Array<{ t: number; message: string }>;
}

interface EventMark {
  t: number;
  label: string;
  color: string;
  shape: 'triangle' | 'diamond' | 'square';
  title: string;
}

const revision = (arn: string): string => arn.split('/').pop() ?? arn;

const finite = (values: Array<number | undefined>): number[] => values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));

const median = (values: number[]): number | undefined => {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};

const NICE_STEPS_S = [0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 43200, 86400];

const niceStep = (spanMs: number, maxCount: number): number => {
  for (const s of NICE_STEPS_S) if (spanMs / (s * 1000) <= maxCount) return s * 1000;
  return Math.ceil(spanMs / maxCount / 86_400_000) * 86_400_000;
};

const formatSeconds = (ms: number, stepMs: number): string => {
  const s = ms / 1000;
  if (stepMs >= 60_000 && Math.abs(s) >= 60) {
    const sign = s < 0 ? '−' : '';
    const abs = Math.abs(s);
    const minutes = Math.floor(abs / 60);
    const rest = Math.round(abs - minutes * 60);
    return `${sign}${minutes} min${rest ? ` ${rest} s` : ''}`;
  }
  const decimals = stepMs < 1000 ? 1 : 0;
  const out = s.toFixed(decimals);
  return `${out.startsWith('-') ? '−' + out.slice(1) : out} s`;
};

const describeDeploymentState = (d: DeploymentSnapshot): string => `${d.status} · ${d.rolloutState ?? 'no rollout state'}`;

const buildLanes = (services: ServiceObservation[], j: Journal, end: number, typicalPollMs: number): Lane[] => {
  const lanes = new Map<string, Lane>();
  const baselineTd = j.baseline?.taskDefinitionArn;
  const badTd = j.injected?.taskDefinitionArn;
  services.forEach((o, i) => {
    const next = services[i + 1];
    const to = next ? next.t : Math.min(end, o.t + typicalPollMs);
    for (const d of o.deployments ?? []) {
      let lane = lanes.get(d.id);
      if (!lane) {
        const role = d.taskDefinition === badTd ? 'bad' : d.taskDefinition === baselineTd ? 'baseline' : 'other';
        const version = role === 'bad' ? (j.injected?.version ?? j.injected?.tag) : role === 'baseline' ? (j.baseline?.version ?? j.baseline?.tag) : undefined;
        lane = { id: d.id, taskDefinition: d.taskDefinition, role, version, segments: [], failedEvents: [] };
        lanes.set(d.id, lane);
      }
      const last = lane.segments.at(-1);
      if (last && last.to >= o.t && last.snapshot.status === d.status && last.snapshot.rolloutState === d.rolloutState) {
        last.to = Math.max(last.to, to);
        last.polls += 1;
        last.lastRunning = d.runningCount;
      } else {
        lane.segments.push({ from: o.t, to, snapshot: d, polls: 1, lastRunning: d.runningCount });
      }
    }
    for (const e of o.newEvents ?? []) {
      // ECS's "(deployment ecs-svc/…) deployment failed: …", which may come between two polls.
      const failed = /\(deployment ([^)]+)\) deployment failed/.exec(e.message);
      const lane = failed ? lanes.get(failed[1]!) : undefined;
      if (lane) lane.failedEvents.push({ t: o.t, message: e.message });
    }
  });
  return [...lanes.values()];
};

const actionMark = (o: Extract<Observation, { source: 'action' }>): EventMark | undefined => {
  const d = o.detail ?? {};
  const str = (k: string): string | undefined => (typeof d[k] === 'string' ? (d[k] as string) : undefined);
  switch (o.action) {
    case 'update-service':
      return { t: o.t, label: `UpdateService → ${revision(str('taskDefinition') ?? '?')}`, color: COLORS.inject, shape: 'triangle', title: `firedrill called UpdateService with ${str('taskDefinition') ?? '?'}` };
    case 'deploy-command':
      return { t: o.t, label: `deploy command (exit ${String(d.exitCode ?? '?')})`, color: COLORS.inject, shape: 'triangle', title: clean(`firedrill ran the deploy command: ${str('command') ?? ''}\nexit ${String(d.exitCode ?? '?')}`) };
    case 'rollback-triggered':
      return { t: o.t, label: `rollback triggered (${str('path') ?? '?'})`, color: COLORS.rollback, shape: 'triangle', title: clean(`firedrill triggered the rollback path ${str('path') ?? ''}: ${JSON.stringify(d)}`) };
    case 'rollback-command':
      return { t: o.t, label: `rollback command (exit ${String(d.exitCode ?? '?')})`, color: COLORS.rollback, shape: 'triangle', title: clean(`firedrill ran the rollback command: ${str('command') ?? ''}\nexit ${String(d.exitCode ?? '?')}`) };
    case 'restore':
      return { t: o.t, label: `restore: ${str('call') ?? 'restore'}`, color: COLORS.muted, shape: 'square', title: clean(`restore: ${JSON.stringify(d)}`) };
    case 'interrupt':
      return { t: o.t, label: `interrupted${str('phase') ? ` in ${str('phase')}` : ''}`, color: OUTCOME_COLORS.interrupted!, shape: 'square', title: `the drill was interrupted${str('phase') ? ` during ${str('phase')}` : ''}` };
    default:
      return undefined;
  }
};

const round2 = (n: number): string => String(Math.round(n * 100) / 100);

// ---------------------------------------------------------------------------------------------
// Label placement: greedy rows, so labels that share a moment never print over each other

interface Label {
  x: number;
  text: string;
  size: number;
}

interface PlacedLabel extends Label {
  row: number;
  anchor: 'start' | 'end';
  left: number;
  right: number;
}

const placeLabels = (labels: Label[], minX: number, maxX: number): PlacedLabel[] => {
  const rows: Array<Array<[number, number]>> = [];
  return labels.map((l) => {
    const width = textWidth(l.text, l.size);
    const anchor: 'start' | 'end' = l.x + 4 + width > maxX && l.x - 4 - width >= minX ? 'end' : 'start';
    const left = anchor === 'start' ? l.x + 4 : l.x - 4 - width;
    const right = left + width;
    let row = rows.findIndex((r) => r.every(([a, b]) => right + 10 < a || left - 10 > b));
    if (row < 0) row = rows.push([]) - 1;
    rows[row]!.push([left, right]);
    return { ...l, row, anchor, left, right };
  });
};

const rowCount = (placed: PlacedLabel[]): number => placed.reduce((n, p) => Math.max(n, p.row + 1), 0);

// ---------------------------------------------------------------------------------------------

export const renderTimelineSvg = (journal: Journal): string => {
  const j = journal;
  const timeline = [...(j.timeline ?? [])].sort((a, b) => a.t - b.t);
  const phases = j.phases ?? [];
  const probes = timeline.filter((o): o is ProbeObservation => o.source === 'probe');
  const services = timeline.filter((o): o is ServiceObservation => o.source === 'service');
  const gates = timeline.filter((o): o is Extract<Observation, { source: 'gate' }> => o.source === 'gate');
  const actions = timeline.filter((o): o is Extract<Observation, { source: 'action' }> => o.source === 'action');

  // The time axis: the whole run.
  const times = finite([j.startedAt, j.endedAt, ...phases.flatMap((p) => [p.startedAt, p.endedAt]), ...timeline.map((o) => o.t), j.markers?.injectAt]);
  let start = times.length ? Math.min(...times) : 0;
  let end = times.length ? Math.max(...times) : 1000;
  if (end - start < 1000) end = start + 1000;
  const pad = (end - start) * 0.01;
  start -= pad;
  end += pad;
  const injectAt = j.markers?.injectAt;
  const origin = injectAt ?? (times.length ? Math.min(...times) : start);
  const x = (t: number): number => X0 + ((t - start) / (end - start)) * (X1 - X0);
  const stepMs = niceStep(end - start, 14);

  const typicalPollMs = median(services.slice(1).map((o, i) => o.t - services[i]!.t)) ?? 1000;
  const lanes = buildLanes(services, j, end, typicalPollMs);

  // Versions: the baseline's, the bad release's, then any other that answered a probe.
  const baselineVersion = j.baseline?.version ?? j.baseline?.tag;
  const badVersion = j.injected?.version ?? j.injected?.tag;
  const otherVersions = [...new Set(probes.map((p) => p.version).filter((v): v is string => v !== undefined && v !== baselineVersion && v !== badVersion))];
  const versionColor = (v: string | undefined): string =>
    v === undefined ? COLORS.noAnswer : v === baselineVersion ? COLORS.baseline : v === badVersion ? COLORS.bad : COLORS.others[otherVersions.indexOf(v) % COLORS.others.length]!;

  // The measured times: the journal's measurements (pure functions of its timeline); the run's
  // own markers only when the drill ended before anything was measured.
  const m = j.measurements;
  const fromMarker = (t: number | undefined) => (t === undefined || injectAt === undefined ? undefined : t - injectAt);
  const detectMs = m ? m.timeToDetectMs : fromMarker(j.markers?.detectedAt);
  const rollbackMs = m ? m.timeToRollbackStartMs : fromMarker(j.markers?.rollbackStartedAt);
  const recoverMs = m ? m.timeToRecoverMs : fromMarker(j.markers?.recoveredAt);
  const restoreStart = phases.find((p) => p.phase === 'restore' && injectAt !== undefined && p.startedAt >= injectAt)?.startedAt;
  const windowEnd = restoreStart ?? (times.length ? Math.max(...times) : end);

  const markers: Marker[] = [];
  if (injectAt !== undefined) {
    markers.push({ t: injectAt, label: 'inject', color: COLORS.inject, title: `the bad release was shipped: ${clean(j.injected?.summary ?? '')}` });
    if (detectMs !== undefined) {
      const by = m?.detectedBy ? ` by ${m.detectedBy.source}` : j.markers?.detectedBy ? '' : '';
      markers.push({ t: injectAt + detectMs, label: `detected ${seconds(detectMs)}${by}`, color: COLORS.detect, title: clean(`failure detected ${seconds(detectMs)} after inject${m?.detectedBy ? `: ${m.detectedBy.detail}` : j.markers?.detectedBy ? `: ${j.markers.detectedBy}` : ''}`) });
    }
    if (rollbackMs !== undefined) {
      const by = m?.rollbackStartedBy ? ` by ${m.rollbackStartedBy.source === 'ecs' ? 'ECS' : 'firedrill'}` : '';
      markers.push({ t: injectAt + rollbackMs, label: `rollback started ${seconds(rollbackMs)}${by}`, color: COLORS.rollback, title: clean(`rollback started ${seconds(rollbackMs)} after inject${m?.rollbackStartedBy ? `: ${m.rollbackStartedBy.detail}` : ''}`) });
    }
    if (recoverMs !== undefined) {
      markers.push({ t: injectAt + recoverMs, label: `recovered ${seconds(recoverMs)}`, color: COLORS.recover, title: `recovered ${seconds(recoverMs)} after inject: the baseline served every probe and its deployment was steady and alone from here on` });
    } else {
      markers.push({
        t: windowEnd,
        label: `not recovered by ${seconds(windowEnd - injectAt)}`,
        color: COLORS.notRecovered,
        dashed: true,
        title: 'the service never recovered within the drill window (until restore started, or the end of the run)',
      });
    }
  }

  const eventMarks: EventMark[] = [
    ...actions.map(actionMark).filter((e): e is EventMark => e !== undefined),
    ...gates.map((g) => ({
      t: g.t,
      label: `gate “${g.signal}” ${g.fired ? 'fired' : 'cleared'} (${round2(g.value)} ${g.fired ? '>' : '≤'} ${round2(g.threshold)})`,
      color: g.fired ? COLORS.failed : COLORS.ok,
      shape: 'diamond' as const,
      title: `gate signal ${g.signal} ${g.fired ? 'fired' : 'cleared'}: value ${g.value}, threshold ${g.threshold}`,
    })),
  ].sort((a, b) => a.t - b.t);

  const out: string[] = [];
  let y = PAD;

  // ---- Title
  const outcome = j.outcome ?? 'unknown';
  const outcomeColor = OUTCOME_COLORS[outcome] ?? COLORS.muted;
  const badge = outcome.toUpperCase();
  const badgeWidth = textWidth(badge, 13) + 18;
  const titleRoom = Math.floor((WIDTH - 2 * PAD - badgeWidth - 16) / (19 * 0.6));
  const title = shorten(`Rollback drill “${j.scenario?.name ?? '?'}” on ${j.environment?.name ?? '?'}`, titleRoom);
  y += 18;
  out.push(text(PAD, y, title, { 'font-size': 19, 'font-weight': 'bold' }));
  out.push(el('rect', { x: WIDTH - PAD - badgeWidth, y: y - 17, width: badgeWidth, height: 23, rx: 4, fill: outcomeColor }));
  out.push(text(WIDTH - PAD - badgeWidth / 2, y - 1, badge, { 'font-size': 13, 'font-weight': 'bold', fill: '#fff', 'text-anchor': 'middle' }, `outcome ${outcome}, exit code ${j.exitCode}`));

  const sub: string[] = [];
  const description = j.scenario?.spec?.description;
  if (description) sub.push(...wrap(description, 175).slice(0, 3));
  const releaseLine = [
    `baseline ${baselineVersion ?? '?'}${j.baseline ? ` (${revision(j.baseline.taskDefinitionArn)})` : ''}`,
    j.injected ? `bad release ${shorten(badVersion ?? '?', 60)} (${revision(j.injected.taskDefinitionArn)})` : 'nothing injected',
    `rollback path ${j.rollbackPath ?? '?'}`,
  ].join(' · ');
  sub.push(releaseLine);
  const env = j.environment;
  const started = Number.isFinite(j.startedAt) ? new Date(j.startedAt).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC') : '?';
  sub.push(`run ${j.runId ?? '?'} · started ${started}${env ? ` · ${env.kind} cluster ${env.cluster}, service ${env.service}${env.endpoint ? ` at ${env.endpoint}` : ` in ${env.region}`}` : ''}`);
  for (const line of sub) {
    y += 16;
    out.push(text(PAD, y, line, { fill: COLORS.muted }));
  }

  // ---- Key figures
  y += 24;
  const figures = m
    ? [
        m.timeToDetectMs === undefined ? 'never detected' : `detected ${seconds(m.timeToDetectMs)}`,
        m.timeToRollbackStartMs === undefined ? 'no rollback seen' : `rollback started ${seconds(m.timeToRollbackStartMs)}`,
        `recovered ${m.timeToRecoverMs === undefined ? 'never' : seconds(m.timeToRecoverMs)}`,
        `bad release answered ${m.badAnswers} of ${m.answeredProbes} answered probes (${percent(m.badTrafficShare)})`,
        `${m.failedProbes.count} of ${m.probesAfterInject} probes failed after inject`,
      ].join('   ·   ')
    : injectAt === undefined
      ? 'nothing was injected: no measurements'
      : 'the drill ended before anything was measured';
  out.push(text(PAD, y, figures, { 'font-size': 13, 'font-weight': 'bold' }));

  // ---- Legend
  y += 12;
  const legend: string[] = [];
  let lx = PAD;
  let ly = y + 14;
  const legendItem = (symbol: string, label: string, hint?: string): void => {
    const w = 16 + textWidth(label, 11) + 18;
    if (lx + w > WIDTH - PAD) {
      lx = PAD;
      ly += 18;
    }
    legend.push(symbol.replaceAll('{x}', String(lx + 6)).replaceAll('{y}', String(ly - 4)));
    legend.push(text(lx + 15, ly, label, { 'font-size': 11 }, hint));
    lx += w;
  };
  legend.push(text(lx, ly, 'Probes answered by:', { 'font-size': 11, 'font-weight': 'bold' }));
  lx += textWidth('Probes answered by:', 11) + 12;
  const dot = (color: string) => `<circle cx="{x}" cy="{y}" r="4.5" fill="${color}"/>`;
  legendItem(dot(COLORS.baseline), `${baselineVersion ?? '?'} (baseline)`);
  if (badVersion !== undefined) legendItem(dot(COLORS.bad), `${badVersion} (bad release)`);
  otherVersions.forEach((v) => legendItem(dot(versionColor(v)), `${v} (other)`));
  legendItem(`<path d="M{x} {y}m-4 -4l8 8m0 -8l-8 8" stroke="${COLORS.noAnswer}" stroke-width="2"/>`, 'no answer (timeout, refused)');
  legendItem(`<circle cx="{x}" cy="{y}" r="4" fill="${COLORS.noAnswer}" stroke="${COLORS.failed}" stroke-width="2"/>`, 'red ring: answered, but failed', 'a probe that got an answer but failed (non-2xx status, or too slow)');
  lx = PAD;
  ly += 18;
  legend.push(text(lx, ly, 'Deployments:', { 'font-size': 11, 'font-weight': 'bold' }));
  lx += textWidth('Deployments:', 11) + 12;
  const bar = (color: string, h: number) => `<rect x="{x}" y="{y}" transform="translate(-6 ${-h / 2})" width="12" height="${h}" fill="${color}"/>`;
  legendItem(bar(COLORS.rollout.IN_PROGRESS!, 10), 'IN_PROGRESS');
  legendItem(bar(COLORS.rollout.COMPLETED!, 10), 'COMPLETED');
  legendItem(bar(COLORS.rollout.FAILED!, 10), 'FAILED');
  legendItem(bar('#868e96', 10), 'tall bar: PRIMARY');
  legendItem(bar('#868e96', 4), 'thin bar: ACTIVE');
  legendItem(`<path d="M{x} {y}m-4 -4l8 8m0 -8l-8 8" stroke="${COLORS.failed}" stroke-width="2.5"/>`, 'ECS event: deployment failed');
  if (injectAt !== undefined) {
    lx = PAD;
    ly += 18;
    legend.push(text(lx, ly, 'Measured:', { 'font-size': 11, 'font-weight': 'bold' }));
    lx += textWidth('Measured:', 11) + 12;
    const vbar = (color: string, dash?: string) => `<path d="M{x} {y}m0 -6v12" stroke="${color}" stroke-width="2.5"${dash ? ` stroke-dasharray="${dash}"` : ''}/>`;
    legendItem(vbar(COLORS.inject), 'inject (t = 0)');
    if (detectMs !== undefined) legendItem(vbar(COLORS.detect), 'failure detected');
    if (rollbackMs !== undefined) legendItem(vbar(COLORS.rollback), 'rollback started');
    if (recoverMs !== undefined) legendItem(vbar(COLORS.recover), 'recovered (stable on the baseline from here)');
    else legendItem(vbar(COLORS.notRecovered, '3 2'), 'end of the drill window: never recovered');
    if (phases.length > 0) legendItem(vbar(COLORS.axis, '3 2'), 'phase boundary');
  }
  out.push(...legend);
  y = ly + 14;

  // ---- Plot: phases, measured markers, success rate, probes, actions, deployments
  const body: string[] = [];
  const overlay: string[] = [];

  // Phases: a band per phase; labels inside the band when they fit, else stacked above it.
  const phaseLabels = phases.map((p) => {
    const from = x(p.startedAt);
    const to = x(p.endedAt ?? windowEnd);
    const label = p.outcome === 'ok' ? p.phase : `${p.phase} (${p.outcome})`;
    return { p, from, to, label, inside: textWidth(label, 11) + 6 <= to - from };
  });
  const outside = placeLabels(
    phaseLabels.filter((l) => !l.inside).map((l) => ({ x: (l.from + l.to) / 2, text: l.label, size: 10.5 })),
    X0,
    X1 + 20,
  );
  const phaseRows = rowCount(outside);
  y += 16;
  body.push(text(PAD, y + phaseRows * 13 + 11, 'Phases', { 'font-weight': 'bold' }));
  outside.forEach((l) => {
    const ty = y + l.row * 13 + 9;
    body.push(text(l.anchor === 'start' ? l.left : l.right, ty, l.text, { 'font-size': 10.5, fill: COLORS.muted, 'text-anchor': l.anchor }));
    body.push(el('line', { x1: l.x, y1: ty + 2, x2: l.x, y2: y + phaseRows * 13 + 2, stroke: COLORS.axis, 'stroke-width': 0.8 }));
  });
  y += phaseRows * 13;
  const bandY = y;
  for (const l of phaseLabels) {
    const fill = l.p.endedAt === undefined ? PHASE_FILL.running! : (PHASE_FILL[l.p.outcome] ?? PHASE_FILL.ok!);
    const title = clean(`${l.p.phase}: ${l.p.outcome}, ${seconds(l.p.startedAt - origin)} to ${l.p.endedAt === undefined ? 'unfinished' : seconds(l.p.endedAt - origin)}${l.p.detail ? `\n${l.p.detail}` : ''}`);
    body.push(el('rect', { x: l.from, y: bandY, width: Math.max(1, l.to - l.from), height: 18, fill, stroke: l.p.outcome === 'ok' ? '#a5d8ff' : OUTCOME_COLORS[l.p.outcome === 'skipped' ? 'invalid' : l.p.outcome] ?? COLORS.axis, 'stroke-width': 0.8 }, tooltip(title)));
    if (l.inside) body.push(text((l.from + l.to) / 2, bandY + 13, l.label, { 'font-size': 11, 'text-anchor': 'middle', fill: l.p.outcome === 'ok' ? '#1864ab' : COLORS.text }, title));
  }
  if (phases.length === 0) body.push(text(X0, bandY + 13, 'no phases recorded', { 'font-size': 11, fill: COLORS.muted }));
  y = bandY + 18;

  // Measured markers: labels stacked above the lanes, lines drawn through every lane later.
  const placedMarkers = placeLabels(
    markers.map((mk) => ({ x: x(mk.t), text: mk.label, size: 11.5 })),
    X0,
    X1 + 20,
  );
  const markerRows = Math.max(1, rowCount(placedMarkers));
  y += 8;
  const markerLabelTop = y;
  y += markerRows * 15 + 4;
  const lanesTop = y;
  if (injectAt === undefined) body.push(text(X0, markerLabelTop + 12, 'nothing was injected in this run', { 'font-size': 11.5, fill: COLORS.muted, 'font-style': 'italic' }));

  const laneLabel = (ly: number, main: string, second?: string, hint?: string): void => {
    body.push(text(PAD, ly, main, { 'font-weight': 'bold' }, hint));
    if (second) body.push(text(PAD, ly + 13, second, { 'font-size': 10, fill: COLORS.muted }, hint));
  };

  // Probe success rate per bucket: green for the share that succeeded, red for the rest.
  const successH = 80;
  // Buckets of at least 1 s and at least two probe intervals, so a bucket is never empty
  // only because no probe happened to be sent in it.
  const probeIntervalMs = median(probes.slice(1).map((p, i) => p.t - probes[i]!.t)) ?? 0;
  const bucketMs = Math.max(niceStep(end - start, 120), NICE_STEPS_S.find((s) => s * 1000 >= Math.max(1000, 2 * probeIntervalMs))! * 1000);
  const bucketSeconds = bucketMs / 1000;
  laneLabel(y + 14, 'Probe success', `% of probes OK per ${bucketSeconds < 1 ? bucketSeconds : Math.round(bucketSeconds)} s`, 'each bar: the probes sent in that interval; green the share that succeeded, red the share that failed');
  body.push(el('rect', { x: X0, y, width: X1 - X0, height: successH, fill: '#fcfcfd', stroke: COLORS.grid }));
  for (const [share, label] of [[1, '100%'], [0.5, '50%'], [0, '0%']] as const) {
    const gy = y + successH - share * successH;
    body.push(el('line', { x1: X0, y1: gy, x2: X1, y2: gy, stroke: COLORS.grid }));
    body.push(text(X0 - 5, gy + 4, label, { 'font-size': 10, fill: COLORS.muted, 'text-anchor': 'end' }));
  }
  const buckets = new Map<number, { ok: number; total: number }>();
  for (const p of probes) {
    const k = Math.floor((p.t - origin) / bucketMs);
    const b = buckets.get(k) ?? { ok: 0, total: 0 };
    b.total += 1;
    if (p.ok) b.ok += 1;
    buckets.set(k, b);
  }
  for (const [k, b] of [...buckets.entries()].sort((a, c) => a[0] - c[0])) {
    const bx0 = Math.max(X0, x(origin + k * bucketMs));
    const bx1 = Math.min(X1, x(origin + (k + 1) * bucketMs));
    const w = Math.max(1, bx1 - bx0 - (bx1 - bx0 > 4 ? 1 : 0));
    const okH = (b.ok / b.total) * successH;
    const tip = `${formatSeconds(k * bucketMs, 1000)} to ${formatSeconds((k + 1) * bucketMs, 1000)}: ${b.ok} of ${b.total} probes OK (${percent(b.ok / b.total)})`;
    if (okH > 0) body.push(el('rect', { x: bx0, y: y + successH - okH, width: w, height: okH, fill: COLORS.ok, 'fill-opacity': 0.85 }, tooltip(tip)));
    if (okH < successH) body.push(el('rect', { x: bx0, y, width: w, height: successH - okH, fill: COLORS.failed, 'fill-opacity': 0.85 }, tooltip(tip)));
  }
  if (probes.length === 0) body.push(text((X0 + X1) / 2, y + successH / 2 + 4, 'no probes recorded', { 'text-anchor': 'middle', fill: COLORS.muted }));
  y += successH + 10;

  // Which release answered each probe.
  const probeH = 26;
  laneLabel(y + 11, 'Answered by', 'one mark per probe', 'the release (version) that answered each probe, at the time the probe was sent');
  body.push(el('rect', { x: X0, y, width: X1 - X0, height: probeH, fill: '#fcfcfd', stroke: COLORS.grid }));
  const cy = y + probeH / 2;
  for (const p of probes) {
    const px = x(p.t);
    const tip = `${formatSeconds(p.t - origin, 100)}: ${p.ok ? 'OK' : 'FAILED'}${p.status !== undefined ? ` HTTP ${p.status}` : ''}${p.version ? ` from ${p.version}` : ' (no answer)'} in ${p.latencyMs} ms${p.error ? ` (${clean(p.error)})` : ''}`;
    if (p.version === undefined) {
      body.push(el('path', { d: `M${num(px - 3.5)} ${num(cy - 3.5)}l7 7m0 -7l-7 7`, stroke: COLORS.noAnswer, 'stroke-width': 2 }, tooltip(tip)));
    } else if (p.ok) {
      body.push(el('circle', { cx: px, cy, r: 4, fill: versionColor(p.version), 'fill-opacity': 0.9 }, tooltip(tip)));
    } else {
      body.push(el('circle', { cx: px, cy, r: 4, fill: versionColor(p.version), stroke: COLORS.failed, 'stroke-width': 2 }, tooltip(tip)));
    }
  }
  y += probeH + 10;

  // What firedrill and the gate did.
  if (eventMarks.length > 0) {
    const placed = placeLabels(
      eventMarks.map((e) => ({ x: x(e.t), text: e.label, size: 10.5 })),
      X0,
      X1 + 20,
    );
    const rows = rowCount(placed);
    const h = 14 + rows * 13;
    laneLabel(y + 11, 'firedrill & gate', 'calls, commands, gate signals', 'what firedrill did (UpdateService, commands, rollback triggers, restore) and when a gate signal changed state');
    body.push(el('rect', { x: X0, y, width: X1 - X0, height: h, fill: '#fcfcfd', stroke: COLORS.grid }));
    placed.forEach((l, i) => {
      const e = eventMarks[i]!;
      const ex = x(e.t);
      const my = y + 8;
      const shape =
        e.shape === 'diamond'
          ? el('path', { d: `M${num(ex)} ${num(my - 5)}l5 5l-5 5l-5 -5z`, fill: e.color }, tooltip(e.title))
          : e.shape === 'square'
            ? el('rect', { x: ex - 4, y: my - 4, width: 8, height: 8, fill: e.color }, tooltip(e.title))
            : el('path', { d: `M${num(ex - 5)} ${num(my - 4)}h10l-5 8z`, fill: e.color }, tooltip(e.title));
      body.push(shape);
      const ty = y + 14 + l.row * 13 + 8;
      body.push(el('line', { x1: ex, y1: my + 4, x2: ex, y2: ty - 3, stroke: e.color, 'stroke-width': 0.8, 'stroke-opacity': 0.6 }));
      body.push(text(l.anchor === 'start' ? l.left : l.right, ty, l.text, { 'font-size': 10.5, fill: e.color === COLORS.ok ? '#2b8a3e' : e.color, 'text-anchor': l.anchor }, e.title));
    });
    y += h + 10;
  }

  // ECS deployments: one lane each, in order of appearance.
  body.push(text(PAD, y + 12, 'ECS deployments', { 'font-weight': 'bold', fill: COLORS.muted, 'font-size': 11 }));
  y += 18;
  if (lanes.length === 0) {
    body.push(text(X0, y + 14, 'no DescribeServices polls recorded', { 'font-size': 11, fill: COLORS.muted }));
    y += 24;
  }
  for (const lane of lanes) {
    const laneH = 40;
    const role = lane.role === 'baseline' ? 'baseline' : lane.role === 'bad' ? 'bad release' : 'other release';
    const roleColor = lane.role === 'baseline' ? COLORS.baseline : lane.role === 'bad' ? '#d9480f' : COLORS.text;
    const hint = `deployment ${lane.id} of ${lane.taskDefinition}${lane.version ? `, release ${lane.version}` : ''} (${role})`;
    body.push(text(PAD, y + 11, `${role}${lane.version ? ` ${shorten(lane.version, 18)}` : ''}`, { 'font-weight': 'bold', fill: roleColor }, hint));
    body.push(text(PAD, y + 24, `task definition ${revision(lane.taskDefinition)}`, { 'font-size': 10, fill: COLORS.muted }, hint));
    body.push(text(PAD, y + 36, lane.id, { 'font-size': 10, fill: COLORS.muted, 'font-family': MONO }, hint));
    body.push(el('line', { x1: X0, y1: y + laneH / 2, x2: X1, y2: y + laneH / 2, stroke: COLORS.grid }));
    for (const s of lane.segments) {
      const primary = s.snapshot.status === 'PRIMARY';
      const h = primary ? 18 : 8;
      const sx0 = x(s.from);
      const sw = Math.max(1.5, x(s.to) - sx0);
      const fill = COLORS.rollout[s.snapshot.rolloutState ?? 'other'] ?? COLORS.rollout.other!;
      const tip = clean(
        `${lane.id}: ${describeDeploymentState(s.snapshot)} from ${seconds(s.from - origin)} to ${seconds(s.to - origin)} (${s.polls} poll${s.polls === 1 ? '' : 's'}); running ${s.snapshot.runningCount}→${s.lastRunning} of ${s.snapshot.desiredCount}; failed tasks ${s.snapshot.failedTasks}${s.snapshot.rolloutStateReason ? `\n${s.snapshot.rolloutStateReason}` : ''}`,
      );
      body.push(el('rect', { x: sx0, y: y + (laneH - h) / 2, width: sw, height: h, fill, stroke: '#fff', 'stroke-width': 0.5 }, tooltip(tip)));
      const label = describeDeploymentState(s.snapshot);
      if (primary && textWidth(label, 10) + 6 < sw) body.push(text(sx0 + sw / 2, y + laneH / 2 + 3.5, label, { 'font-size': 10, 'text-anchor': 'middle', fill: '#212529' }, tip));
      else if (!primary && textWidth(label, 9.5) + 6 < sw) body.push(text(sx0 + 3, y + laneH / 2 - 6, label, { 'font-size': 9.5, fill: COLORS.muted }, tip));
    }
    for (const e of lane.failedEvents) {
      const ex = x(e.t);
      const ey = y + laneH / 2;
      body.push(el('path', { d: `M${num(ex - 5)} ${num(ey - 5)}l10 10m0 -10l-10 10`, stroke: COLORS.failed, 'stroke-width': 2.5 }, tooltip(clean(`${seconds(e.t - origin)}: ${e.message}`))));
    }
    y += laneH + 4;
  }
  const plotBottom = y;

  // Grid and axis: ticks every stepMs from the origin.
  const grid: string[] = [];
  const axisY = plotBottom + 6;
  grid.push(el('line', { x1: X0, y1: axisY, x2: X1, y2: axisY, stroke: COLORS.axis }));
  const firstTick = Math.ceil((start - origin) / stepMs);
  const lastTick = Math.floor((end - origin) / stepMs);
  for (let k = firstTick; k <= lastTick; k++) {
    const t = origin + k * stepMs;
    const tx = x(t);
    grid.push(el('line', { x1: tx, y1: lanesTop, x2: tx, y2: plotBottom, stroke: COLORS.grid }));
    grid.push(el('line', { x1: tx, y1: axisY, x2: tx, y2: axisY + 5, stroke: COLORS.axis }));
    grid.push(text(tx, axisY + 17, formatSeconds(k * stepMs, stepMs), { 'font-size': 10.5, 'text-anchor': 'middle', fill: k === 0 && injectAt !== undefined ? COLORS.text : COLORS.muted, 'font-weight': k === 0 && injectAt !== undefined ? 'bold' : undefined }));
  }
  grid.push(
    text((X0 + X1) / 2, axisY + 34, injectAt !== undefined ? 'time from inject (negative: before the bad release was shipped)' : 'time from the start of the run (nothing was injected)', {
      'font-size': 11,
      'text-anchor': 'middle',
      fill: COLORS.muted,
    }),
  );

  // Phase boundaries and measured markers run through every lane.
  const boundaries = finite([...new Set(phases.flatMap((p) => [p.startedAt, p.endedAt]))]);
  for (const t of boundaries) overlay.push(el('line', { x1: x(t), y1: bandY + 18, x2: x(t), y2: plotBottom, stroke: COLORS.axis, 'stroke-width': 0.8, 'stroke-dasharray': '3 2' }));
  placedMarkers.forEach((l, i) => {
    const mk = markers[i]!;
    const mx = x(mk.t);
    const ty = markerLabelTop + 12 + l.row * 15;
    overlay.push(el('line', { x1: mx, y1: ty - 10, x2: mx, y2: plotBottom, stroke: mk.color, 'stroke-width': 1.6, 'stroke-dasharray': mk.dashed ? '5 3' : undefined }, tooltip(mk.title)));
    overlay.push(text(l.anchor === 'start' ? l.left : l.right, ty, l.text, { 'font-size': 11.5, 'font-weight': 'bold', fill: mk.color, 'text-anchor': l.anchor }, mk.title));
  });

  out.push(el('g', { id: 'grid' }, grid.join('')));
  out.push(el('g', { id: 'lanes' }, body.join('')));
  out.push(el('g', { id: 'markers' }, overlay.join('')));
  y = axisY + 42;

  // ---- Verdicts, smoke failures, problems, restore
  y += 10;
  out.push(el('line', { x1: PAD, y1: y, x2: WIDTH - PAD, y2: y, stroke: COLORS.grid }));
  y += 20;
  out.push(text(PAD, y, 'Verdicts', { 'font-size': 14, 'font-weight': 'bold' }));
  const verdicts = j.verdicts ?? [];
  if (verdicts.length === 0) {
    y += 18;
    out.push(text(PAD, y, 'no verdicts: the drill ended before its expectations could be judged', { fill: COLORS.muted }));
  }
  const detailLine = (mark: string, color: string, head: string, body: string): void => {
    const lines = wrap(`${head}: ${body}`, 145);
    lines.forEach((line, i) => {
      y += 17;
      if (i === 0) {
        out.push(el('rect', { x: PAD, y: y - 12, width: 46, height: 16, rx: 3, fill: color }));
        out.push(text(PAD + 23, y, mark, { 'font-size': 10.5, 'font-weight': 'bold', fill: '#fff', 'text-anchor': 'middle' }));
      }
      out.push(text(PAD + 54, y, line, { 'font-size': 12 }));
    });
  };
  for (const v of verdicts) detailLine(v.passed ? 'PASS' : 'FAIL', v.passed ? COLORS.recover : COLORS.notRecovered, v.expectation, clean(v.summary));
  const smoke = [...(j.smoke?.baseline ?? []).map((r) => ({ r, when: 'before the drill' })), ...(j.smoke?.afterRecovery ?? []).map((r) => ({ r, when: 'after recovery' }))];
  const notPassed = smoke.filter(({ r }) => r.status !== 'passed');
  if (smoke.length > 0) {
    const passed = smoke.length - notPassed.length;
    y += 8;
    detailLine('SMOKE', notPassed.some(({ r }) => r.status === 'failed') ? COLORS.notRecovered : COLORS.recover, 'smoke checks', `${passed} of ${smoke.length} passed`);
    for (const { r, when } of notPassed) detailLine(r.status === 'failed' ? 'FAIL' : 'SKIP', r.status === 'failed' ? COLORS.notRecovered : COLORS.muted, `${r.name} (${when})`, clean(r.summary));
  }
  for (const p of j.problems ?? []) detailLine('NOTE', OUTCOME_COLORS.error!, 'problem', clean(p));
  if (j.restore) {
    y += 8;
    detailLine(j.restore.ok ? 'OK' : 'FAIL', j.restore.ok ? COLORS.recover : OUTCOME_COLORS['restore-failed']!, 'restore', clean(j.restore.state || (j.restore.ok ? 'ok' : 'failed')));
  }
  y += PAD + 6;

  const height = Math.ceil(y);
  const label = `Timeline of rollback drill ${j.scenario?.name ?? '?'} on ${j.environment?.name ?? '?'}: ${outcome}`;
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" role="img" aria-label="${escapeXml(label)}">`,
    `<title>${escapeXml(label)}</title>`,
    el('rect', { x: 0, y: 0, width: WIDTH, height, fill: '#ffffff' }),
    ...out,
    `</svg>`,
    '',
  ].join('\n');
};
