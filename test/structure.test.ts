// The shape of the house, held by the suite: no import cycle under server/
// (type-only and dynamic imports count: a cycle of types is still two rooms
// that cannot be understood apart), no file over 400 lines, and a front door
// (main.ts) and composition root (assemble.ts) that read in one sitting.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import ts from 'typescript';
import { ROOT } from '../server/root.ts';

const SERVER = path.join(ROOT, 'server');
const MAX_LINES = 400;
const SHORT = { 'main.ts': 250, 'assemble.ts': 250 };

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? filesUnder(full) : [full];
  });
}

const lineCount = (file: string) => fs.readFileSync(file, 'utf8').split('\n').length - (fs.readFileSync(file, 'utf8').endsWith('\n') ? 1 : 0);

/** Every relative import of each TypeScript file under `dir`, as the compiler's own pre-processor reads them. */
export function importGraph(dir: string): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of filesUnder(dir).filter((f) => f.endsWith('.ts'))) {
    const info = ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true);
    const targets = info.importedFiles
      .map((i) => i.fileName)
      .filter((name) => name.startsWith('.'))
      .map((name) => path.resolve(path.dirname(file), name));
    graph.set(file, targets);
  }
  return graph;
}

/** The strongly connected components with more than one file, or a file importing itself (Tarjan). */
export function cycles(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

test('the cycle check finds a cycle of type-only imports', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'structure-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.writeFileSync(path.join(dir, 'a.ts'), "import type { B } from './b.ts';\nexport type A = { b: B };\n");
  fs.writeFileSync(path.join(dir, 'b.ts'), "import type { A } from './a.ts';\nexport type B = { a?: A };\n");
  fs.writeFileSync(path.join(dir, 'c.ts'), "export const c = () => import('./a.ts');\n");
  const found = cycles(importGraph(dir));
  t.deepEqual(found.map((c) => c.map((f) => path.basename(f))), [['a.ts', 'b.ts']]);
});

test('no import cycle under server/, type-only ones included', (t) => {
  const graph = importGraph(SERVER);
  t.true(graph.size > 50, 'the graph holds the server');
  const found = cycles(graph).map((c) => c.map((f) => path.relative(ROOT, f)).join(' <-> '));
  t.deepEqual(found, []);
});

test(`no file under server/ over ${MAX_LINES} lines; main.ts and assemble.ts under 250`, (t) => {
  const long = filesUnder(SERVER)
    .map((f) => [path.relative(ROOT, f), lineCount(f)] as const)
    .filter(([, n]) => n > MAX_LINES);
  t.deepEqual(long, []);
  for (const [name, max] of Object.entries(SHORT)) {
    const n = lineCount(path.join(SERVER, name));
    t.true(n < max, `server/${name} is ${n} lines`);
  }
});
