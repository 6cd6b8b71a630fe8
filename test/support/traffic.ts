// Steady client traffic through the load balancer, recording every answer, so a test can
// prove that no request was lost while the service changed underneath.

export interface TrafficRecord {
  at: number;
  status: number;
  version?: string;
  error?: string;
}

export interface Traffic {
  records: TrafficRecord[];
  stop(): Promise<TrafficRecord[]>;
}

export const steadyTraffic = (url: string, concurrency = 4): Traffic => {
  const records: TrafficRecord[] = [];
  let running = true;
  const worker = async () => {
    while (running) {
      const at = Date.now();
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
        const body = (await response.json().catch(() => ({}))) as { version?: string };
        records.push({ at, status: response.status, version: body.version });
      } catch (error) {
        records.push({ at, status: 0, error: (error as Error).message });
      }
    }
  };
  const workers = Array.from({ length: concurrency }, worker);
  return {
    records,
    stop: async () => {
      running = false;
      await Promise.all(workers);
      return records;
    },
  };
};
