#!/usr/bin/env node
// Prints the CI summary line from vitest's JSON report, listing every skipped test by name (names carry the reason).
// A failed typecheck or lint leaves no report: that counts as one failure, never as a pass.
import { existsSync, readFileSync } from 'node:fs';

const [file, statusText] = process.argv.slice(2);
const status = Number(statusText ?? 1);
if (!file || !existsSync(file)) {
  console.log('The test run stopped before vitest (typecheck or lint failed; see above).');
  console.log('0 passed, 1 failed, 0 skipped');
  process.exit(status === 0 ? 1 : status);
}
const report = JSON.parse(readFileSync(file, 'utf8'));
const skipped = [];
for (const suite of report.testResults ?? []) {
  for (const test of suite.assertionResults ?? []) {
    if (test.status === 'pending' || test.status === 'skipped' || test.status === 'todo') skipped.push(test.fullName);
  }
}
if (skipped.length > 0) {
  console.log('\nSkipped tests (the name says why):');
  for (const name of skipped) console.log(`  - ${name}`);
}
const failedSuites = (report.testResults ?? []).filter((s) => s.status === 'failed' && (s.assertionResults ?? []).length === 0).length;
const failed = report.numFailedTests + failedSuites;
console.log(`${report.numPassedTests} passed, ${failed} failed, ${skipped.length} skipped`);
process.exit(status !== 0 || failed > 0 ? 1 : 0);
