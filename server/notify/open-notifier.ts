// Builds the notifier from its parts (socket, sender, queue) for assemble.ts;
// null when PROV_NOTIFY is off, so nothing SIP runs at all.
import { randomInt } from 'node:crypto';
import type { Logger } from 'pino';
import type { NotifyConfig } from '../config.ts';
import type { SecretBox } from '../domain/secret-box.ts';
import type { EventBus } from '../provisioning/change/events.ts';
import type { CatalogHolder } from '../render/catalog.ts';
import type { Store } from '../storage/store.ts';
import { createNotifier, type Notifier } from './notifier.ts';
import { createNotifySender } from './send-notify.ts';
import { realTimers, type Timers } from './timers.ts';
import { openSipTransport } from './transport.ts';

export interface NotifierParts {
  config: NotifyConfig;
  store: Store;
  box: SecretBox;
  catalog: CatalogHolder;
  events: EventBus;
  log: Logger;
  holder: string;
  timers?: Timers;
}

export interface RunningNotifier {
  notifier: Notifier;
  /** The UDP port NOTIFYs leave from. */
  udpPort: number;
  close(): Promise<void>;
}

export async function openNotifier(p: NotifierParts): Promise<RunningNotifier | null> {
  const { config } = p;
  if (config.mode === 'off') return null;
  const timers = p.timers ?? realTimers;
  const log = p.log.child({ component: 'notify' });
  const transport = await openSipTransport({ bindHost: config.bindHost, bindPort: config.bindPort, tlsVerify: config.tlsVerify, log });
  const send = createNotifySender(transport, { t1: config.t1Ms, t2: config.t2Ms, timerF: config.timerFMs }, timers);
  const notifier = createNotifier({
    ...p,
    log,
    config: { ...config, mode: config.mode },
    timers,
    random: () => randomInt(1_000_000) / 1_000_000,
    send,
  });
  notifier.start();
  log.info({ mode: config.mode, rate: config.rate, concurrency: config.concurrency }, 'check-sync NOTIFY on');
  return {
    notifier,
    udpPort: transport.udpPort(),
    async close() {
      notifier.stop();
      await transport.close();
    },
  };
}
