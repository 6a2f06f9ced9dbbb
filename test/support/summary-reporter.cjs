// Mocha's spec output plus a closing line "N passed, N failed" that CI reads,
// and, when RFL_TEST_SUMMARY names a file, the counts as JSON for scripts/run-tests.mjs.
const Mocha = require('mocha');
const fs = require('node:fs');

class SummaryReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    runner.once(Mocha.Runner.constants.EVENT_RUN_END, () => {
      const { passes, failures, pending } = runner.stats;
      if (process.env.RFL_TEST_SUMMARY) {
        // scripts/run-tests.mjs adds the lanes up and prints the closing line
        fs.writeFileSync(process.env.RFL_TEST_SUMMARY, JSON.stringify({ passed: passes, failed: failures, pending }));
      } else {
        // printed after the spec epilogue
        process.on('exit', () => console.log(`${passes} passed, ${failures} failed`));
      }
    });
  }
}

module.exports = SummaryReporter;
