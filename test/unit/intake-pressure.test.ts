import { performance } from 'node:perf_hooks';
import { IntakePressure } from '../../src/whatsapp/intake-pressure';

/** Holds the event loop, as a long synchronous batch would. */
function holdLoop(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // busy on purpose
  }
}

const idleLoop = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('IntakePressure', () => {
  it('lets background work go at once when no POST has arrived, however busy the loop', async () => {
    const pressure = new IntakePressure();
    holdLoop(150);
    expect(pressure.intakeBusy()).toBe(false);
    expect(pressure.loopBusy()).toBeGreaterThan(0.5);
    await expect(pressure.giveWay(1_000)).resolves.toBe(false);
  });

  it('lets background work go at once when POSTs arrive but the loop has room', async () => {
    const pressure = new IntakePressure();
    await idleLoop(150);
    pressure.notePost();
    expect(pressure.intakeBusy()).toBe(true);
    expect(pressure.loopBusy()).toBeLessThan(0.5);
    await expect(pressure.giveWay(1_000)).resolves.toBe(false);
  });

  it('makes it wait while POSTs arrive and the loop is more than half busy, but never past its bound', async () => {
    const pressure = new IntakePressure();
    holdLoop(150);
    pressure.notePost();
    const started = performance.now();
    await expect(pressure.giveWay(40)).resolves.toBe(true);
    // A lower bound only: a busy machine makes the wait longer, never shorter.
    expect(performance.now() - started).toBeGreaterThanOrEqual(39);
  });

  it('counts a POST as arriving for 100 ms after it', async () => {
    const pressure = new IntakePressure();
    pressure.notePost();
    expect(pressure.intakeBusy()).toBe(true);
    await idleLoop(120);
    expect(pressure.intakeBusy()).toBe(false);
  });
});
