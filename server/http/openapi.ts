// The OpenAPI 3.1 document of the admin API, derived from the route table
// and the very zod schemas that validate each route's query and body, so the
// document cannot describe a request the server would refuse or miss a route.
import { z } from 'zod';
import type { DocumentedRoute } from './route-table.ts';

type JsonSchema = Record<string, unknown>;

function jsonSchema(schema: z.ZodType): JsonSchema {
  // What a client sends (io: input); refinements that JSON Schema cannot say stay server-side.
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

const ERROR = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: { code: { type: 'string' }, message: { type: 'string' } },
    },
  },
};

function queryParameters(schema: z.ZodType | undefined) {
  if (!(schema instanceof z.ZodObject)) return [];
  return Object.entries(schema.shape as Record<string, z.ZodType>).map(([name, field]) => ({
    name,
    in: 'query',
    required: !field.safeParse(undefined).success,
    schema: jsonSchema(field),
  }));
}

export function openApiDocument(routes: readonly DocumentedRoute[], prefix: string) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const [method, path, role, , doc] of routes) {
    const names = [...path.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1]!);
    const template = prefix + path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    const status = String(doc?.status ?? 200);
    const operation: Record<string, unknown> = {
      operationId: `${method}${template.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? '').toUpperCase())}`,
      summary: doc?.summary ?? `${method.toUpperCase()} ${template}`,
      'x-role': role,
      security: role === 'open' ? [] : [{ bearer: [] }],
      parameters: [
        ...names.map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' } })),
        ...queryParameters(doc?.query),
      ],
      responses: {
        [status]: { description: status === '204' ? 'done; no body' : 'success' },
        '4XX': { description: 'refused; nothing changed', content: { 'application/json': { schema: ERROR } } },
      },
    };
    if (doc?.body) {
      operation.requestBody = { required: true, content: { 'application/json': { schema: jsonSchema(doc.body) } } };
    }
    (paths[template] ??= {})[method] = operation;
  }
  return {
    openapi: '3.1.0',
    info: { title: 'SIP provisioning server admin API', version: '1' },
    servers: [{ url: '/' }],
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    security: [{ bearer: [] }],
    paths,
  };
}
