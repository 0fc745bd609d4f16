// Reading and validating JSON request bodies: the order of checks gives each
// kind of bad input its own status (415, 413, 400, then 422).
import type { Context } from 'koa';
import getRawBody from 'raw-body';
import type { z } from 'zod';
import { MalformedRequest, PayloadTooLarge, UnsupportedMediaType } from '../domain/errors.ts';
import { validate } from './schemas.ts';

export const MAX_JSON_BYTES = 64 * 1024;
const UTF8 = new TextDecoder('utf-8', { fatal: true });

async function readBytes(ctx: Context, limit = MAX_JSON_BYTES): Promise<Buffer> {
  const charset = ctx.request.charset;
  if (charset && charset.toLowerCase() !== 'utf-8') {
    throw new UnsupportedMediaType('bodies must be UTF-8');
  }
  try {
    return await getRawBody(ctx.req, { limit, length: ctx.request.length });
  } catch (err) {
    if ((err as { type?: string }).type === 'entity.too.large') {
      throw new PayloadTooLarge(`the body may be at most ${limit} bytes`);
    }
    throw new MalformedRequest('the request body could not be read', 'malformed-body');
  }
}

function decoded(bytes: Buffer, code: string): string {
  try {
    // Fatal: a bad byte is a malformed body, not a U+FFFD that gets stored.
    return UTF8.decode(bytes);
  } catch {
    throw new MalformedRequest('the body is not valid UTF-8', code);
  }
}

export async function readJson<S extends z.ZodType>(ctx: Context, schema: S): Promise<z.output<S>> {
  if (ctx.request.is('application/json') === false || !ctx.request.type) {
    throw new UnsupportedMediaType('the body must be JSON with Content-Type: application/json');
  }
  const text = decoded(await readBytes(ctx), 'malformed-json');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new MalformedRequest('the body is not valid JSON', 'malformed-json');
  }
  return validate(schema, value);
}

/** A spreadsheet's CSV, as text: UTF-8 only (Excel: Save As › CSV UTF-8). */
export async function readCsvBody(ctx: Context, limit: number): Promise<string> {
  if (!ctx.request.is('text/csv', 'application/csv', 'text/plain')) {
    throw new UnsupportedMediaType('the body must be a CSV file with Content-Type: text/csv');
  }
  const bytes = await readBytes(ctx, limit);
  try {
    return UTF8.decode(bytes);
  } catch {
    throw new MalformedRequest('the file is not UTF-8: save it from the spreadsheet as "CSV UTF-8"', 'invalid-encoding');
  }
}

/**
 * A JSON body, or the same fields form-encoded (what a registrar's script can
 * build safely); a form field given twice is malformed, and `numbers` are
 * read as numbers.
 */
export async function readJsonOrForm<S extends z.ZodType>(ctx: Context, schema: S, numbers: readonly string[]): Promise<z.output<S>> {
  if (ctx.request.is('application/x-www-form-urlencoded') !== 'application/x-www-form-urlencoded') return readJson(ctx, schema);
  const form = new URLSearchParams(decoded(await readBytes(ctx), 'malformed-body'));
  const value: Record<string, unknown> = {};
  for (const key of new Set(form.keys())) {
    const all = form.getAll(key);
    if (all.length > 1) throw new MalformedRequest(`${key} is given more than once`, 'malformed-body');
    value[key] = numbers.includes(key) && /^\d{1,9}$/.test(all[0]!) ? Number(all[0]) : all[0];
  }
  return validate(schema, value);
}
