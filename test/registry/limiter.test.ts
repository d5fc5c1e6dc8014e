import { describe, expect, it } from 'vitest';
import { Limiter, RegistryGate } from '../../src/registry/limiter.js';

/** A task that runs until released, recording how many ran at once. */
function tasks(limiter: Limiter) {
  let running = 0;
  let peak = 0;
  const releases: Array<() => void> = [];
  const start = () =>
    limiter.run(async () => {
      peak = Math.max(peak, ++running);
      await new Promise<void>((resolve) => releases.push(resolve));
      running--;
    });
  const settle = () => new Promise((resolve) => setImmediate(resolve));
  return { start, releases, settle, running: () => running, peak: () => peak };
}

describe('Limiter', () => {
  it('runs at most `limit` tasks at once, the rest in order', async () => {
    const t = tasks(new Limiter(2));
    const all = Array.from({ length: 5 }, () => t.start());
    await t.settle();
    expect(t.running()).toBe(2);
    while (t.releases.length) {
      t.releases.shift()!();
      await t.settle();
    }
    await Promise.all(all);
    expect(t.peak()).toBe(2);
  });

  it('a lower limit lets running tasks finish and starts none until below it; a higher one starts waiters', async () => {
    const limiter = new Limiter(4);
    const t = tasks(limiter);
    const all = Array.from({ length: 8 }, () => t.start());
    await t.settle();
    expect(t.running()).toBe(4);
    limiter.setLimit(2);
    t.releases.shift()!();
    await t.settle();
    expect(t.running()).toBe(3); // one finished, none started
    t.releases.shift()!();
    await t.settle();
    expect(t.running()).toBe(2);
    t.releases.shift()!();
    await t.settle();
    expect(t.running()).toBe(2); // below the limit again: the next waiter starts
    limiter.setLimit(5);
    await t.settle();
    expect(t.running()).toBe(5);
    while (t.releases.length) {
      t.releases.shift()!();
      await t.settle();
    }
    await Promise.all(all);
  });
});

describe('RegistryGate: polite to 429, then recovers', () => {
  /** Runs one attempt through the gate that reports `throttled`, after `before` resolves. */
  const attempt = (gate: RegistryGate, throttled: boolean, before: Promise<void> = Promise.resolve()) =>
    gate.run(async (report) => {
      await before;
      report(throttled);
    });

  it('halves on a 429, once per round trip, never below a quarter; recovers one slot per `limit` answers', async () => {
    const gate = new RegistryGate(16, new Limiter(100));
    expect(gate.concurrency).toBe(16);
    // Three attempts in flight together all draw 429: one reduction, not three.
    let release!: () => void;
    const together = new Promise<void>((resolve) => (release = resolve));
    const burst = [1, 2, 3].map(() => attempt(gate, true, together));
    release();
    await Promise.all(burst);
    expect(gate.concurrency).toBe(8);
    await attempt(gate, true); // started after the reduction: a new round trip
    expect(gate.concurrency).toBe(4);
    await attempt(gate, true);
    expect(gate.concurrency).toBe(4); // the floor: a quarter of the configured value
    for (let i = 0; i < 3; i++) await attempt(gate, false);
    expect(gate.concurrency).toBe(4);
    await attempt(gate, false);
    expect(gate.concurrency).toBe(5);
    for (let i = 0; i < 200; i++) await attempt(gate, false);
    expect(gate.concurrency).toBe(16); // back to what was configured, not beyond
  });

  it('a registry limited to 1 stays at 1', async () => {
    const gate = new RegistryGate(1, new Limiter(16));
    await attempt(gate, true);
    expect(gate.concurrency).toBe(1);
  });
});
