// Linux /proc, read directly: which processes descend from a pid, their resident memory, and
// whether a process seen earlier is still the same process (pid and start time) now.

import { readdirSync, readFileSync } from 'node:fs';

export interface ProcInfo {
  pid: number;
  ppid: number;
  state: string;
  /** Clock ticks after boot: tells a process from a later one that reuses its pid. */
  startTime: string;
}

/** /proc/<pid>/stat: `pid (comm) state ppid ... starttime(22nd)`; comm may hold spaces and parens. */
export const procStat = (pid: number): ProcInfo | undefined => {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const [state, ppid] = fields;
  const startTime = fields[19];
  if (state === undefined || ppid === undefined || startTime === undefined) return undefined;
  return { pid, ppid: Number(ppid), state, startTime };
};

export const vmRssKib = (pid: number): number | undefined => {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match?.[1] === undefined ? undefined : Number(match[1]);
  } catch {
    return undefined;
  }
};

/** The command line, arguments joined by spaces; '' once the process is gone. */
export const commandLine = (pid: number): string => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
  } catch {
    return '';
  }
};

/** Every live process whose parent chain reaches `root`, found by walking the ppid of /proc/<pid>/stat. */
export const descendantsOf = (root: number): ProcInfo[] => {
  const all = readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map((name) => procStat(Number(name)))
    .filter((p): p is ProcInfo => p !== undefined);
  const children = new Map<number, ProcInfo[]>();
  for (const p of all) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p]);
  const found: ProcInfo[] = [];
  const queue = [root];
  for (let pid = queue.shift(); pid !== undefined; pid = queue.shift()) {
    for (const child of children.get(pid) ?? []) {
      found.push(child);
      queue.push(child.pid);
    }
  }
  return found;
};

/** The same process (pid and start time) is still in /proc, zombies included. */
export const stillThere = (p: ProcInfo): ProcInfo | undefined => {
  const now = procStat(p.pid);
  return now && now.startTime === p.startTime ? now : undefined;
};

/** One variable of a process's environment at its start; undefined when unreadable. */
export const environValue = (pid: number, name: string): string | undefined => {
  try {
    const entry = readFileSync(`/proc/${pid}/environ`, 'utf8')
      .split('\0')
      .find((kv) => kv.startsWith(`${name}=`));
    return entry?.slice(name.length + 1);
  } catch {
    return undefined;
  }
};
