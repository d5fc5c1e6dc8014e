import { describe, expect, it } from 'vitest';
import { matchPending, parsePendingImage, type PendingImage } from '../../src/analysis/pending.js';
import {
  describeProgress,
  ImageWaiter,
  type WaitProgress,
  type WaiterOptions,
} from '../../src/analysis/wait.js';
import { parseImageReference } from '../../src/reference/index.js';
import type { ChildManifestStatus as Presence } from '../../src/registry/types.js';

/** The waiter on a simulated clock: sleeping advances it, nothing really waits. */
function simulated(options: Partial<WaiterOptions> & { deadline: number; random?: () => number }) {
  let now = 0;
  const progress: Array<WaitProgress & { at: number }> = [];
  const waiter = new ImageWaiter({
    now: () => now,
    sleep: async (ms) => {
      now += ms;
    },
    onProgress: (p) => progress.push({ ...p, at: now }),
    ...options,
  });
  /** A reference that appears at `appearsAt` (never when undefined), recording when it was asked. */
  const image = (appearsAt?: number) => {
    const asked: number[] = [];
    const check = async (): Promise<Presence> => {
      asked.push(now);
      return appearsAt !== undefined && now >= appearsAt ? 'present' : 'missing';
    };
    return { asked, check };
  };
  return { waiter, progress, image, clock: () => now };
}

describe('ImageWaiter', () => {
  it('backs off from 1 s, doubling, capped at 15 s, and stops at once when the image appears', async () => {
    const { waiter, image, clock } = simulated({ deadline: 600_000, random: () => 1 });
    const app = image(40_000);
    expect(await waiter.waitFor('app', 'ghcr.io/acme/app:2', app.check)).toBe(true);
    const gaps = app.asked.map((at, i) => Math.round(at - (app.asked[i - 1] ?? 0)));
    expect(gaps).toEqual([1_000, 2_000, 4_000, 8_000, 15_000, 15_000]);
    expect(clock()).toBe(app.asked.at(-1)); // no sleep after the image appeared
  });

  it('jitters each pause between half and all of the back-off', async () => {
    const randoms = [0, 0.5, 0.25, 0.75, 0, 0];
    const { waiter, image } = simulated({ deadline: 600_000, random: () => randoms.shift() ?? 0 });
    const app = image(20_000);
    await waiter.waitFor('app', 'app', app.check);
    const gaps = app.asked.map((at, i) => Math.round(at - (app.asked[i - 1] ?? 0)));
    expect(gaps).toEqual([500, 1_500, 2_500, 7_000, 7_500, 7_500]);
  });

  it('gives up at the deadline after a last check there, reporting progress every 30 s', async () => {
    const { waiter, image, progress, clock } = simulated({ deadline: 70_000, random: () => 1 });
    const app = image();
    expect(await waiter.waitFor('app', 'ghcr.io/acme/app:2', app.check)).toBe(false);
    expect(app.asked.at(-1)).toBe(70_000);
    expect(clock()).toBe(70_000);
    expect(progress.map((p) => [p.at, p.remainingMs])).toEqual([
      [0, 70_000],
      [30_000, 40_000],
      [60_000, 10_000],
    ]);
    expect(describeProgress(progress[1]!)).toBe('waiting for 1 image: ghcr.io/acme/app:2; 40s left');
  });

  it('re-checks only what is still missing, once per reference however many wait for it', async () => {
    const { waiter, image, progress } = simulated({ deadline: 60_000, random: () => 1 });
    const early = image(2_500);
    const late = image(10_000);
    const results = await Promise.all([
      waiter.waitFor('early', 'a:1', early.check),
      waiter.waitFor('late', 'b:1', late.check),
      waiter.waitFor('late', 'b:1', late.check),
    ]);
    expect(results).toEqual([true, true, true]);
    expect(early.asked).toEqual([1_000, 3_000]);
    expect(late.asked).toEqual([1_000, 3_000, 7_000, 15_000]);
    expect(waiter.stats).toEqual({ rounds: 4, checks: 6, perRound: [2, 2, 1, 1] });
    expect(progress[0]!.waiting).toEqual(['a:1', 'b:1']);
  });

  it('does not wait once the deadline has passed', async () => {
    const { waiter, image } = simulated({ deadline: 0 });
    const app = image(0);
    expect(await waiter.waitFor('app', 'app', app.check)).toBe(false);
    expect(app.asked).toEqual([]);
  });

  it('treats a failing check as not there yet', async () => {
    const { waiter } = simulated({ deadline: 5_000, random: () => 1 });
    let calls = 0;
    const appeared = await waiter.waitFor('x', 'x', async () => {
      calls++;
      if (calls < 3) throw new Error('connection reset');
      return 'present';
    });
    expect(appeared).toBe(true);
    expect(calls).toBe(3);
  });
});

describe('describeProgress', () => {
  it.each([
    [['a:1'], 3_000, 'waiting for 1 image: a:1; 3s left'],
    [['a:1', 'b:2'], 250_400, 'waiting for 2 images: a:1, b:2; 4m10s left'],
    [['a:1', 'b:2'], 599_600, 'waiting for 2 images: a:1, b:2; 10m left'],
  ])('%j, %d ms', (waiting, remainingMs, text) =>
    expect(describeProgress({ waiting, remainingMs })).toBe(text),
  );
});

describe('pending image patterns', () => {
  const pending = (...written: string[]) => written.map((w) => parsePendingImage(w) as PendingImage);
  const ref = (image: string) => {
    const parsed = parseImageReference(image);
    if (!parsed.ok) throw new Error(parsed.reason);
    return parsed.reference;
  };

  it.each([
    ['ghcr.io/acme/app:2.1.0', 'ghcr.io/acme/app:2.1.0', true],
    ['ghcr.io/acme/app:*', 'ghcr.io/acme/app:2.1.0', true],
    ['ghcr.io/acme/app:*', 'ghcr.io/acme/app-web:2.1.0', false],
    ['ghcr.io/acme/*', 'ghcr.io/acme/web:1', true],
    // A glob with no tag matches every tag, wherever its * or ? stands.
    ['ghcr.io/*/app', 'ghcr.io/acme/app:2', true],
    ['ghcr.io/*/app', 'ghcr.io/acme/app-web:2', false],
    ['*.example.com/app', 'eu.example.com/app:1', true],
    ['ghcr.io/acme/ap?', 'ghcr.io/acme/app:1', true],
    ['ghcr.io/acme/*', 'ghcr.io/acme/web@sha256:' + 'a'.repeat(64), true],
    ['ghcr.io/acme/app', 'ghcr.io/acme/app:latest', true],
    ['ghcr.io/acme/app', 'ghcr.io/acme/app:1', false],
    ['acme/app:1', 'docker.io/acme/app:1', true],
    ['app:1', 'index.docker.io/library/app:1', true],
    ['ghcr.io/acme/app:1.?', 'ghcr.io/acme/app:1.2', true],
    ['ghcr.io/acme/app:1', 'ghcr.io/acme/app:1@sha256:' + 'a'.repeat(64), false],
  ])('%s matches %s: %s', (pattern, image, expected) => {
    expect(matchPending(pending(pattern), ref(image)) !== undefined).toBe(expected);
  });

  it.each(['ghcr.io/Acme/App:1', 'not a ref', 'ghcr.io/acme/app:', ':1'])('%j is refused', (written) => {
    expect(parsePendingImage(written)).toHaveProperty('error');
  });
});
