// Runs the web modules' unit tests in the browser and leaves the outcome in
// window.testResults for webmodules_test.go: {done, passed, failures}.
const results = {done: false, passed: 0, failures: []};
window.testResults = results;

// t is what a test gets: check(cond, msg) records a failure when cond is false.
function newT(name) {
  return {
    check(cond, msg) {
      if (cond) return true;
      msg = String(msg);
      results.failures.push(`${name}: ${msg.length > 300 ? msg.slice(0, 300) + '…' : msg}`);
      return false;
    },
    eq(got, want, msg) {
      return this.check(got === want, `${msg}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
    },
  };
}

async function run() {
  const suites = [await import('./markdown_test.js'), await import('./notify_test.js')];
  for (const suite of suites) {
    for (const [name, fn] of Object.entries(suite)) {
      if (!name.startsWith('test')) continue;
      const before = results.failures.length;
      try {
        await fn(newT(name));
      } catch (e) {
        results.failures.push(`${name}: threw ${e && e.stack || e}`);
      }
      if (results.failures.length === before) results.passed++;
    }
  }
  results.done = true;
}

run().catch((e) => { results.failures.push(`loading the tests: ${e && e.stack || e}`); results.done = true; });
