// The non-INVITE client transaction (RFC 3261 §17.1.2): over UDP the request
// is retransmitted with timer E, starting at T1 and doubling up to T2 (at T2
// once a provisional response came); timer F ends it without an answer. Any
// final response is the outcome. Over TCP and TLS nothing is retransmitted.
import type { SipResponse } from './sip-message.ts';
import type { SipTiming, Timers } from './timers.ts';

/** One way to the peer: send (again) the request, and hear its responses. */
export interface Channel {
  reliable: boolean;
  send(): void;
  /** Responses for this transaction's branch, and transport failures. */
  listen(onResponse: (res: SipResponse) => void, onError: (err: Error) => void): void;
  close(): void;
}

export type TransactionResult =
  | { kind: 'response'; response: SipResponse; transmissions: number }
  | { kind: 'timeout'; transmissions: number }
  | { kind: 'error'; error: Error; transmissions: number };

export function runTransaction(channel: Channel, timing: SipTiming, timers: Timers): Promise<TransactionResult> {
  return new Promise((resolve) => {
    let transmissions = 0;
    let interval = timing.t1;
    let timerE: unknown = null;
    let done = false;

    const finish = (result: TransactionResult) => {
      if (done) return;
      done = true;
      if (timerE !== null) timers.clearTimeout(timerE);
      timers.clearTimeout(timerF);
      channel.close();
      resolve(result);
    };
    const transmit = () => {
      transmissions++;
      try {
        channel.send();
      } catch (err) {
        finish({ kind: 'error', error: err as Error, transmissions });
      }
    };
    const armE = () => {
      timerE = timers.setTimeout(() => {
        if (done) return;
        transmit();
        interval = Math.min(interval * 2, timing.t2);
        armE();
      }, interval);
    };

    channel.listen(
      (response) => {
        if (response.status >= 200) return finish({ kind: 'response', response, transmissions });
        // Proceeding: the peer has it; retransmit at T2 only.
        interval = timing.t2;
      },
      (error) => finish({ kind: 'error', error, transmissions }),
    );
    const timerF = timers.setTimeout(() => finish({ kind: 'timeout', transmissions }), timing.timerF);
    transmit();
    if (!channel.reliable && !done) armE();
  });
}
