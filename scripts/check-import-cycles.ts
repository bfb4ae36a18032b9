/**
 * Fails when harness/ folders import each other in a loop. Each folder is a
 * pipeline stage (core -> config -> plan -> devices -> runner -> ...): arrows
 * that point one way keep a stage replaceable and its tests small. A file in
 * harness/ itself (the command line's entry point) is a node of its own.
 * Imports of types count too: a type import is still a dependency of the design.
 *
 *   node --import tsx scripts/check-import-cycles.ts [--graph]
 *
 * Exits 1 when there is a cycle (`npm test` runs it as `npm run check:cycles`); --graph also prints every
 * folder's outgoing edges.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

const ROOT = resolve(import.meta.dirname, '..', 'harness');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** The stage a file belongs to: its first folder under harness/, or the file itself at the top. */
function stageOf(file: string): string {
  const parts = relative(ROOT, file).split(sep);
  return parts.length > 1 ? parts[0]! : parts[0]!.replace(/\.ts$/, '');
}

function importsOf(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, false);
  const specifiers: string[] = [];
  const visit = (node: ts.Node) => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier))
      specifiers.push(node.moduleSpecifier.text);
    else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments[0] && ts.isStringLiteral(node.arguments[0]))
      specifiers.push(node.arguments[0].text);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return specifiers.filter((s) => s.startsWith('.')).map((s) => resolve(dirname(file), s));
}

/** stage -> stage -> the file pairs behind that edge (for the message). */
export function stageGraph(files: readonly string[]): Map<string, Map<string, string[]>> {
  const graph = new Map<string, Map<string, string[]>>();
  for (const file of files) {
    const from = stageOf(file);
    const edges = graph.get(from) ?? new Map<string, string[]>();
    graph.set(from, edges);
    for (const target of importsOf(file)) {
      if (!target.startsWith(ROOT + sep)) continue;
      const to = stageOf(target);
      if (to === from) continue;
      edges.set(to, [...(edges.get(to) ?? []), `${relative(ROOT, file)} -> ${relative(ROOT, target)}`]);
    }
  }
  return graph;
}

/** Tarjan's strongly connected components: every component of more than one stage is a cycle. */
export function cycles(graph: Map<string, Map<string, string[]>>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const connect = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v)?.keys() ?? []) {
      if (!index.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) connect(v);
  return found;
}

if (process.argv[1] === import.meta.filename) {
  const graph = stageGraph(sourceFiles(ROOT));
  if (process.argv.includes('--graph')) {
    for (const [from, edges] of [...graph].sort(([a], [b]) => a.localeCompare(b)))
      console.log(`${from} -> ${[...edges.keys()].sort().join(', ') || '(nothing)'}`);
  }
  const loops = cycles(graph);
  if (loops.length === 0) {
    console.log(`harness/: ${graph.size} folders, no import cycle between them`);
  } else {
    for (const loop of loops) {
      console.error(`import cycle between harness/ folders: ${loop.join(', ')}`);
      for (const from of loop)
        for (const [to, pairs] of graph.get(from) ?? [])
          if (loop.includes(to)) console.error(`  ${from} -> ${to}: ${pairs.slice(0, 3).join('; ')}${pairs.length > 3 ? ` (+${pairs.length - 3} more)` : ''}`);
    }
    process.exitCode = 1;
  }
}
