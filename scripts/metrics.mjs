#!/usr/bin/env node
/**
 * Code-health figures for src/ (issue 18 asks for them in closing notes): `as` casts, `as unknown
 * as` double casts, non-null assertions (`x!`), and the longest functions in lines. Read with the
 * TypeScript compiler's own parser, so strings and comments never count.
 *
 *   node scripts/metrics.mjs [dir]      (default: src)
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

const root = process.argv[2] ?? 'src';
const files = [];
(function walk(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (/\.tsx?$/.test(name) && !name.endsWith('.d.ts')) files.push(p);
  }
})(root);

let casts = 0;
let doubleCasts = 0;
let nonNull = 0;
const functions = [];
for (const file of files) {
  const text = readFileSync(file, 'utf8');
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, file.endsWith('x') ? ts.ScriptKind.TSX : ts.ScriptKind.TS);
  const line = (pos) => sf.getLineAndCharacterOfPosition(pos).line + 1;
  const visit = (node) => {
    if (ts.isAsExpression(node) && !(ts.isTypeReferenceNode(node.type) && node.type.typeName.getText(sf) === 'const')) {
      casts++;
      if (ts.isAsExpression(node.expression) && node.expression.type.kind === ts.SyntaxKind.UnknownKeyword) doubleCasts++;
    }
    if (ts.isNonNullExpression(node)) nonNull++;
    if ((ts.isFunctionDeclaration(node) || ts.isMethodDeclaration(node) || ts.isArrowFunction(node) || ts.isFunctionExpression(node)) && node.body) {
      const name = node.name?.getText(sf) ?? (ts.isVariableDeclaration(node.parent) ? node.parent.name.getText(sf) : '(anonymous)');
      functions.push({ where: `${file}:${line(node.getStart(sf))}`, name, lines: line(node.end) - line(node.getStart(sf)) + 1 });
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
}
functions.sort((a, b) => b.lines - a.lines);
console.log(`${root}: ${files.length} files`);
console.log(`as casts (not 'as const'): ${casts}, of which 'as unknown as': ${doubleCasts}`);
console.log(`non-null assertions: ${nonNull}`);
console.log('longest functions:');
for (const f of functions.slice(0, 5)) console.log(`  ${f.lines} lines  ${f.name}  ${f.where}`);
