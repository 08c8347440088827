/**
 * Core's words are shared by every front (CLI, desktop app, web mode), so no string in
 * src-main/core may speak in one front's syntax: no flags (`--tile`) and no commands
 * (`mslens index`). The next step goes in an error's ErrorAction, which each front words.
 * Every string and template literal in core is read with the TypeScript parser.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { expect, test } from 'vitest';
import { REPO } from '../../helpers/harness.ts';

const CORE = join(REPO, 'src-main', 'core');
const COMMANDS = 'demo|index|search|similar|classify|models|serve|settings|embed|info|export|web';
// A flag, a command in backticks, or a command with its argument (`mslens index SCENE`); "an
// mslens index" is a noun.
const CLI_SYNTAX = new RegExp(`(^|[\\s(\`'"])--[a-z][a-z-]+|\`mslens\\b|\\bmslens (${COMMANDS}) ([A-Z]{3,}|--|\\S+\\.(tif|json|pt)\\b)`);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return e.name.endsWith('.ts') ? [p] : [];
  });
}

function literals(file: string): { line: number; text: string }[] {
  const src = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const out: { line: number; text: string }[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node) || ts.isTemplateHead(node) || ts.isTemplateMiddle(node) || ts.isTemplateTail(node)) {
      out.push({ line: src.getLineAndCharacterOfPosition(node.getStart()).line + 1, text: node.text });
    }
    node.forEachChild(visit);
  };
  visit(src);
  return out;
}

test('no string in core carries CLI syntax', () => {
  const found = sourceFiles(CORE).flatMap((f) => literals(f).filter((l) => CLI_SYNTAX.test(l.text)).map((l) => `${relative(REPO, f)}:${l.line}: ${l.text.slice(0, 100)}`));
  expect(found).toEqual([]);
});

test('the check sees CLI syntax where it is', () => {
  expect(CLI_SYNTAX.test('Use a smaller --tile.')).toBe(true);
  expect(CLI_SYNTAX.test('Build one with `mslens index SCENE`.')).toBe(true);
  expect(CLI_SYNTAX.test('Rebuild it with mslens index SCENE.')).toBe(true);
  expect(CLI_SYNTAX.test('mslens needs the bands B02 B03.')).toBe(false);
  expect(CLI_SYNTAX.test('x.parquet is not an mslens index (no metadata).')).toBe(false);
});
