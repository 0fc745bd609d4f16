// One check-sync NOTIFY from first try to outcome: the request RFC 3261 wants
// out of dialog (Via with a z9hG4bK branch and rport, From tag, Call-ID, CSeq,
// Max-Forwards, Contact, Event, Subscription-State: terminated), its client
// transaction, and one Digest retry when a 401 or 407 challenges it.
import { randomBytes } from 'node:crypto';
import { answerChallenge, type DigestCredentials } from './digest-answer.ts';
import { formatRequest, header } from './sip-message.ts';
import type { SipTiming, Timers } from './timers.ts';
import { runTransaction } from './transaction.ts';
import { hostPort, type Destination, type SentBy, type SipTransport } from './transport.ts';

export interface NotifyRequest {
  dest: Destination;
  /** sip:<user>@<host>[:port] */
  uri: string;
  /** The Event header, as the vendor profile names it. */
  event: string;
  credentials: DigestCredentials | null;
}

export interface SendResult {
  /** The final status, or null when none came. */
  code: number | null;
  /** Why there was no final status. */
  problem: 'timeout' | 'unreachable' | null;
  transmissions: number;
}

const token = (bytes: number) => randomBytes(bytes).toString('hex');
const USER_AGENT = 'sip-provisioning-server';

export function createNotifySender(transport: SipTransport, timing: SipTiming, timers: Timers) {
  return async function sendNotify(req: NotifyRequest): Promise<SendResult> {
    const callId = `${token(12)}@provisioning`;
    const fromTag = token(6);
    let transmissions = 0;

    async function attempt(cseq: number, auth: [string, string] | null) {
      const branch = `z9hG4bK${token(10)}`;
      const build = (s: SentBy) =>
        formatRequest({
          method: 'NOTIFY',
          uri: req.uri,
          headers: [
            ['Via', `SIP/2.0/${s.transport.toUpperCase()} ${hostPort(s.host, s.port)};branch=${branch};rport`],
            ['Max-Forwards', '70'],
            ['From', `<sip:provisioning@${hostPort(s.host, s.port)}>;tag=${fromTag}`],
            ['To', `<${req.uri}>`],
            ['Call-ID', callId],
            ['CSeq', `${cseq} NOTIFY`],
            ['Contact', `<sip:provisioning@${hostPort(s.host, s.port)};transport=${s.transport}>`],
            ['Event', req.event],
            ['Subscription-State', 'terminated'],
            ['User-Agent', USER_AGENT],
            ...(auth ? [auth] : []),
          ],
        });
      let channel;
      try {
        channel = await transport.open(req.dest, branch, build);
      } catch {
        return { kind: 'error' as const, transmissions: 0 };
      }
      const result = await runTransaction(channel, timing, timers);
      transmissions += result.transmissions;
      return result;
    }

    const first = await attempt(1, null);
    if (first.kind !== 'response') {
      return { code: null, problem: first.kind === 'timeout' ? 'timeout' : 'unreachable', transmissions };
    }
    const status = first.response.status;
    if ((status === 401 || status === 407) && req.credentials) {
      const challenge = header(first.response, status === 401 ? 'www-authenticate' : 'proxy-authenticate');
      const answer = challenge && answerChallenge(challenge, req.credentials, { method: 'NOTIFY', uri: req.uri });
      if (answer) {
        const second = await attempt(2, [status === 401 ? 'Authorization' : 'Proxy-Authorization', answer]);
        if (second.kind !== 'response') {
          return { code: null, problem: second.kind === 'timeout' ? 'timeout' : 'unreachable', transmissions };
        }
        return { code: second.response.status, problem: null, transmissions };
      }
    }
    return { code: status, problem: null, transmissions };
  };
}

export type SendNotify = ReturnType<typeof createNotifySender>;
