import { BodyBudget } from '../../src/http/body-budget';

/** A body opened on `budget` that records whether it was given up for another. */
function body(budget: BodyBudget) {
  const state = { givenUp: false };
  const hold = budget.open(() => (state.givenUp = true));
  return { hold, state };
}

describe('the budget of unverified bodies', () => {
  it('counts bytes as they arrive and gives them back when the body is released', () => {
    const budget = new BodyBudget(1_000);
    const a = body(budget);
    const b = body(budget);

    expect(a.hold.add(300)).toBe(true);
    expect(b.hold.add(200)).toBe(true);
    expect(a.hold.add(100)).toBe(true);
    expect(budget.heldBytes).toBe(600);

    a.hold.release();
    a.hold.release();
    expect(budget.heldBytes).toBe(200);
    expect(budget.peakBytes).toBe(600);
  });

  it('gives up the largest body held to make room for a smaller one, and tells it', () => {
    const budget = new BodyBudget(1_000);
    const large = body(budget);
    const medium = body(budget);
    const small = body(budget);
    large.hold.add(500);
    medium.hold.add(400);

    expect(small.hold.add(200)).toBe(true);

    expect(large.state.givenUp).toBe(true);
    expect(medium.state.givenUp).toBe(false);
    expect(budget.heldBytes).toBe(600);
    expect(large.hold.add(1)).toBe(false);
    expect(budget.peakBytes).toBeLessThanOrEqual(1_000);
  });

  it('refuses the bytes of a body that would then be the largest, releasing what it held', () => {
    const budget = new BodyBudget(1_000);
    const other = body(budget);
    const grower = body(budget);
    other.hold.add(400);
    grower.hold.add(400);

    expect(grower.hold.add(300)).toBe(false);

    expect(other.state.givenUp).toBe(false);
    expect(budget.heldBytes).toBe(400);
  });

  it('refuses a body larger than the whole budget', () => {
    const budget = new BodyBudget(1_000);

    expect(body(budget).hold.add(1_001)).toBe(false);
    expect(budget.heldBytes).toBe(0);
  });

  it('fits a reservation whole by giving up larger bodies, and never gives a reservation up', () => {
    const budget = new BodyBudget(1_000);
    const large = body(budget);
    large.hold.add(900);

    const giveBack = budget.reserve(300);
    expect(giveBack).not.toBeNull();
    expect(large.state.givenUp).toBe(true);

    const later = body(budget);
    expect(later.hold.add(800)).toBe(false);
    expect(budget.heldBytes).toBe(300);
    giveBack?.();
    giveBack?.();
    expect(budget.heldBytes).toBe(0);
  });

  it('refuses a reservation that only smaller bodies and other reservations could make room for', () => {
    const budget = new BodyBudget(1_000);
    budget.reserve(600);
    const small = body(budget);
    small.hold.add(100);

    expect(budget.reserve(400)).toBeNull();

    expect(small.state.givenUp).toBe(false);
    expect(budget.heldBytes).toBe(700);
  });
});
