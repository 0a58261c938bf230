// Run with --expose-gc by memory.test.mjs: repeats calls that allocate a
// cra_error or a cra_buf (sync and async paths) and prints how many bytes
// of the C heap (glibc mallinfo2) each round trip leaves behind.
import koffi from 'koffi';
import { readFileSync } from 'node:fs';
import { Resolver, verifyJsonl } from '../../index.js';
import { UNKNOWN_SESSION, fixture } from '../helpers.mjs';

const ROUNDS = Number(process.argv[2] ?? 4000);

const resolver = new Resolver(); // loads libcra (and freezes koffi's config) first
const libc = koffi.load('libc.so.6');
const mallinfo2 = libc.func('mallinfo2', koffi.struct({
  arena: 'size_t', ordblks: 'size_t', smblks: 'size_t', hblks: 'size_t', hblkhd: 'size_t',
  usmblks: 'size_t', fsmblks: 'size_t', uordblks: 'size_t', fordblks: 'size_t', keepcost: 'size_t',
}), []);

function heapInUse() {
  globalThis.gc();
  globalThis.gc();
  const info = mallinfo2();
  return Number(info.uordblks) + Number(info.hblkhd);
}

resolver.loadAtlas(readFileSync(fixture('billing.atlas.json')));
const sessionId = resolver.beginSession('agent-7', 'Refund');

async function round(n) {
  for (let i = 0; i < n; i += 1) {
    try { resolver.resolve('{bad'); } catch {} // sync cra_error
    verifyJsonl('{"x":1}\n'); // report + cra_error of a broken chain
    await resolver.awaitTraceReady(UNKNOWN_SESSION).catch(() => {}); // async cra_error
    await resolver.getTrace(sessionId, { partial: true }); // sync cra_buf
    await resolver.getTrace(sessionId, { timeoutMs: 100 }); // async cra_buf
  }
}

await round(1000); // warm up caches, koffi pools and JIT
const before = heapInUse();
await round(ROUNDS);
const after = heapInUse();
resolver.close();
console.log(JSON.stringify({ rounds: ROUNDS, bytesPerRound: (after - before) / ROUNDS }));
