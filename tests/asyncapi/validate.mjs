// Validates AsyncAPI documents (YAML or JSON files) with the official parser, @asyncapi/parser:
// the checks of `asyncapi validate` (the CLI runs this parser with its default ruleset).
// Usage: node validate.mjs FILE...   Prints each finding; exits 1 if any is an error.
import { readFile } from 'node:fs/promises';
import { Parser, DiagnosticSeverity } from '@asyncapi/parser';

const SEVERITY = Object.fromEntries(
  Object.entries(DiagnosticSeverity).map(([name, value]) => [value, name.toLowerCase()]),
);

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: node validate.mjs FILE...');
  process.exit(2);
}
const parser = new Parser();
let failed = false;
for (const file of files) {
  const { document, diagnostics } = await parser.parse(await readFile(file, 'utf8'), {
    source: file,
  });
  const errors = diagnostics.filter((d) => d.severity === DiagnosticSeverity.Error);
  for (const d of diagnostics) {
    const where = d.path.length ? ` at ${d.path.join('.')}` : '';
    console.log(`${file}: ${SEVERITY[d.severity]} ${d.code}: ${d.message}${where}`);
  }
  if (document === undefined || errors.length > 0) {
    failed = true;
    console.log(`${file}: invalid (${errors.length} error(s))`);
  } else {
    console.log(`${file}: valid AsyncAPI ${document.version()}`);
  }
}
process.exit(failed ? 1 : 0);
