// Cursors and the Link header of paged lists. A cursor is opaque to clients:
// the last key of the page it follows, wrapped so that nobody builds one by
// hand and comes to rely on its shape.
import type { Context } from 'koa';
import { InvalidInput } from '../domain/errors.ts';

export function encodeCursor(after: string): string {
  return Buffer.from(JSON.stringify({ after }), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined) return undefined;
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { after?: unknown };
    if (typeof value?.after === 'string' && value.after.length > 0 && value.after.length <= 128) return value.after;
  } catch {
    // fall through: a cursor that is not ours
  }
  throw new InvalidInput('cursor: is not a cursor this server gave out', 'invalid-cursor');
}

/** Answers a page: the items as a JSON array, and a Link to the next page when there is one. */
export function answerPage(ctx: Context, page: { items: unknown[]; next: string | null }): void {
  if (page.next !== null) {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(ctx.query)) {
      if (key !== 'cursor' && typeof value === 'string') params.set(key, value);
    }
    params.set('cursor', encodeCursor(page.next));
    ctx.set('Link', `<${ctx.path}?${params.toString()}>; rel="next"`);
  }
  ctx.status = 200;
  ctx.body = page.items;
}
