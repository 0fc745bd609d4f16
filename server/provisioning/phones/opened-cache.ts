// Opened bodies, remembered: a phone fetch would otherwise pay an AES-GCM
// open for its render and another for its device's provisioning password.
// The cache is keyed by the sealed text itself (with its context). A seal
// takes a fresh random IV, so a sealed value is never reused for different
// plaintext: any change to a render or a password — on this worker, another
// worker or another instance — stores a different sealed value, which misses
// here. A stale body cannot be served because nothing can make a key point
// at a newer plaintext; there is nothing to invalidate. Bounded, least
// recently used out first, so memory does not grow with the fleet.
import type { SecretBox } from '../../domain/secret-box.ts';
import { createWeighedMap } from '../../domain/weighed-map.ts';

export interface CachingBox extends SecretBox {
  /** Opened values held now (for tests and the benchmark). */
  size(): number;
}

/** A SecretBox whose open() remembers up to `maxEntries` results, or `maxChars` characters of them. */
export function createCachingBox(box: SecretBox, maxEntries = 20_000, maxChars = 64 * 1024 * 1024): CachingBox {
  const opened = createWeighedMap<{ context: string; text: string }>(maxEntries, maxChars, (sealed, e) => e.text.length + sealed.length);
  return {
    seal: (plaintext, context) => box.seal(plaintext, context),
    fingerprint: (plaintext, context) => box.fingerprint(plaintext, context),
    open(sealed, context) {
      const hit = opened.get(sealed);
      if (hit && hit.context === context) {
        // Set again to refresh its place: the oldest go first.
        opened.set(sealed, hit);
        return hit.text;
      }
      // Throws for a wrong context or key, exactly like the box: nothing is cached then.
      const text = box.open(sealed, context);
      opened.set(sealed, { context, text });
      return text;
    },
    size: () => opened.size,
  };
}
