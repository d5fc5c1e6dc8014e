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
  it('halves on a 429, once per window, never below a quarter; recovers one slot per `limit` answers', () => {
    let now = 0;
    const gate = new RegistryGate(16, new Limiter(100), () => now);
    expect(gate.concurrency).toBe(16);
    gate.throttled();
    expect(gate.concurrency).toBe(8);
    gate.throttled(); // same window: requests already in flight answered 429 too
    expect(gate.concurrency).toBe(8);
    now += 1_000;
    gate.throttled();
    expect(gate.concurrency).toBe(4);
    now += 1_000;
    gate.throttled();
    expect(gate.concurrency).toBe(4); // the floor: a quarter of the configured value
    for (let i = 0; i < 3; i++) gate.answered();
    expect(gate.concurrency).toBe(4);
    gate.answered();
    expect(gate.concurrency).toBe(5);
    for (let i = 0; i < 200; i++) gate.answered();
    expect(gate.concurrency).toBe(16); // back to what was configured, not beyond
  });

  it('a registry limited to 1 stays at 1', () => {
    const gate = new RegistryGate(1, new Limiter(16), () => 0);
    gate.throttled();
    expect(gate.concurrency).toBe(1);
  });
});
