// Reading and validating JSON request bodies: the order of checks gives each
// kind of bad input its own status (415, 413, 400, then 422).
import type { Context } from 'koa';
import getRawBody from 'raw-body';
import type { z } from 'zod';
import { MalformedRequest, PayloadTooLarge, UnsupportedMediaType } from '../domain/errors.ts';
import { validate } from './schemas.ts';

export const MAX_JSON_BYTES = 64 * 1024;
const UTF8 = new TextDecoder('utf-8', { fatal: true });

export async function readJson<S extends z.ZodType>(ctx: Context, schema: S): Promise<z.output<S>> {
  if (ctx.request.is('application/json') === false || !ctx.request.type) {
    throw new UnsupportedMediaType('the body must be JSON with Content-Type: application/json');
  }
  const charset = ctx.request.charset;
  if (charset && charset.toLowerCase() !== 'utf-8') {
    throw new UnsupportedMediaType('JSON bodies must be UTF-8');
  }
  let bytes: Buffer;
  try {
    bytes = await getRawBody(ctx.req, { limit: MAX_JSON_BYTES, length: ctx.request.length });
  } catch (err) {
    if ((err as { type?: string }).type === 'entity.too.large') {
      throw new PayloadTooLarge(`the body may be at most ${MAX_JSON_BYTES} bytes`);
    }
    throw new MalformedRequest('the request body could not be read', 'malformed-body');
  }
  let value: unknown;
  try {
    // Fatal: a bad byte is a malformed body, not a U+FFFD that gets stored.
    value = JSON.parse(UTF8.decode(bytes));
  } catch {
    throw new MalformedRequest('the body is not valid JSON', 'malformed-json');
  }
  return validate(schema, value);
}
