// Run with --expose-gc by lifecycle.test.mjs: resolvers dropped without
// close() are freed by the FinalizationRegistry, which stops their
// deferred processor threads. Prints the thread counts it saw.
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { Resolver } from '../../index.js';

const COUNT = 16;

function threads() {
  return Number(/^Threads:\s+(\d+)/m.exec(readFileSync('/proc/self/status', 'utf8'))[1]);
}

function createAndDrop() {
  for (let i = 0; i < COUNT; i += 1) {
    const resolver = new Resolver({ traceMode: 'deferred', shutdownTimeoutMs: 100 });
    resolver.beginSession('agent-7', 'left open');
  }
}

new Resolver().close(); // load the library before counting
const start = threads();
createAndDrop();
const created = threads();
let now = created;
for (let i = 0; i < 50 && now > start; i += 1) {
  globalThis.gc();
  await sleep(20); // finalizers run in a later task
  now = threads();
}
console.log(JSON.stringify({ count: COUNT, start, created, after: now }));
