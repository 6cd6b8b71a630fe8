// The sandbox's stand-in for an ALB: one HTTP listener on 127.0.0.1 per configured target
// group, each forwarding to that group's healthy targets. Target groups are fixed by the
// sandbox config; ECS services refer to them by ARN.

import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { targetGroupName } from '../control/arns.ts';
import type { Balancer, Clock, EventSink, TargetHealth, TargetInfo } from '../control/ports.ts';
import type { TimingProfile } from '../control/timing.ts';
import type { TargetGroupConfig } from '../types/config.ts';
import { portInUse } from '../shared/port-in-use.ts';
import { createProxyHandler } from './http-proxy.ts';
import { TargetGroup, type TargetDescription } from './target-group.ts';

export interface LoadBalancerOptions {
  targetGroups: TargetGroupConfig[];
  timing: TimingProfile;
  clock: Clock;
  events: EventSink;
  region: string;
  accountId: string;
}

export interface ListenerInfo {
  targetGroupArn: string;
  name: string;
  /** e.g. http://127.0.0.1:8080 */
  url: string;
}

interface Entry {
  config: TargetGroupConfig;
  group: TargetGroup;
  server: http.Server;
  url: string;
}

// ALB's default idle timeout. The listener announces it in its Keep-Alive hint, so a client
// that honours the hint never reuses a connection just as the listener closes it.
const CLIENT_IDLE_TIMEOUT_MS = 60_000;

export class LoadBalancer implements Balancer {
  private readonly entries = new Map<string, Entry>();
  private stopping?: Promise<void>;

  private constructor(private readonly options: LoadBalancerOptions) {}

  static async start(options: LoadBalancerOptions): Promise<LoadBalancer> {
    const lb = new LoadBalancer(options);
    try {
      for (const config of options.targetGroups) await lb.listen(config);
    } catch (err) {
      await lb.shutdown();
      throw err;
    }
    return lb;
  }

  targetGroupArn(name: string): string {
    const id = createHash('sha256').update(name).digest('hex').slice(0, 16);
    return `arn:aws:elasticloadbalancing:${this.options.region}:${this.options.accountId}:targetgroup/${name}/${id}`;
  }

  findTargetGroup(arnOrName: string): TargetGroupConfig | undefined {
    return this.entries.get(targetGroupName(arnOrName))?.config;
  }

  /** Every target group with its ARN: what ELBv2's DescribeTargetGroups reads. */
  targetGroups(): Array<{ arn: string; config: TargetGroupConfig }> {
    return [...this.entries.values()].map(({ config }) => ({ arn: this.targetGroupArn(config.name), config }));
  }

  listeners(): ListenerInfo[] {
    return [...this.entries.values()].map(({ config, url }) => ({
      targetGroupArn: this.targetGroupArn(config.name),
      name: config.name,
      url,
    }));
  }

  describeTargets(targetGroupArn: string): TargetDescription[] {
    return this.group(targetGroupArn).describe();
  }

  register(targetGroupArn: string, target: TargetInfo): void {
    this.group(targetGroupArn).register(target);
  }

  deregister(targetGroupArn: string, targetId: string): void {
    this.group(targetGroupArn).deregister(targetId);
  }

  health(targetGroupArn: string, targetId: string): TargetHealth {
    return this.group(targetGroupArn).health(targetId);
  }

  shutdown(): Promise<void> {
    this.stopping ??= Promise.all(
      [...this.entries.values()].map(({ group, server }) => {
        group.shutdown();
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        // After close(), so idle keep-alive connections cannot pick up new requests first.
        server.closeAllConnections();
        return closed;
      }),
    ).then(() => undefined);
    return this.stopping;
  }

  private async listen(config: TargetGroupConfig): Promise<void> {
    if (this.entries.has(config.name)) {
      throw new Error(`Target group "${config.name}" is configured twice; give each target group its own name.`);
    }
    const { timing, clock, events } = this.options;
    const group = new TargetGroup(config, { timing, clock, events });
    const server = http.createServer(createProxyHandler(group, events));
    server.keepAliveTimeout = CLIENT_IDLE_TIMEOUT_MS;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) =>
        reject(
          portInUse(err, config.listenerPort, { kind: 'listener', targetGroup: config.name }) ??
            new Error(
              `The listener for target group "${config.name}" cannot listen on 127.0.0.1:${config.listenerPort} ` +
                `(${err.message}); choose another listenerPort, or 0 for a free one.`,
            ),
        ),
      );
      server.listen(config.listenerPort, '127.0.0.1', () => resolve());
    });
    // Once listening, a server error (e.g. out of file descriptors on accept) is logged, not fatal.
    server.on('error', (err) => events.emit({ kind: 'listener.error', targetGroup: config.name, error: err.message }));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    this.entries.set(config.name, { config, group, server, url });
  }

  private group(arnOrName: string): TargetGroup {
    const entry = this.entries.get(targetGroupName(arnOrName));
    if (!entry) {
      const known = [...this.entries.keys()].join(', ') || 'none';
      throw new Error(`Unknown target group "${arnOrName}" (configured: ${known}); add it to the sandbox config's targetGroups.`);
    }
    return entry.group;
  }
}
