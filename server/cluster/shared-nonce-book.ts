// Digest nonce-counts across workers. A nonce is stateless (signed, with its
// issuing worker's id inside the signature), so any worker checks it; the
// record of which nonce-counts were used lives with the worker that issued
// it. A phone answering its challenge on the same keep-alive connection is
// checked locally; an answer landing on another worker asks the issuer
// through the primary, so a replayed nonce-count is refused wherever it lands.
import { createNonceBook, nonceIssuer, type NonceBook } from '../domain/digest.ts';
import type { Link } from './link.ts';

export const NC_CALL = 'nonce-count';

export interface NonceCountQuestion {
  issuer: number;
  nonce: string;
  nc: number;
}

export function createSharedNonceBook(key: Buffer, clock: () => Date, ttlSeconds: number, self: number, link: Link): NonceBook {
  const local = createNonceBook(key, clock, ttlSeconds, undefined, self);
  // The primary forwards other workers' questions about our nonces here.
  link.serve(NC_CALL, (q: NonceCountQuestion) => local.accept(q.nonce, q.nc));
  return {
    issue: () => local.issue(),
    check: (nonce) => local.check(nonce),
    accept(nonce, nc) {
      const issuer = nonceIssuer(nonce);
      if (issuer === self) return local.accept(nonce, nc);
      // Unreachable issuer (it exited): refused, and the phone is challenged afresh.
      return link.call<boolean>(NC_CALL, { issuer, nonce, nc } satisfies NonceCountQuestion).catch(() => false);
    },
  };
}
