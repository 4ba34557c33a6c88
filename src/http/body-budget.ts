/**
 * The bytes held at once by request bodies that cannot be authenticated until they are whole: a
 * Meta POST (up to 3 MB) is checked against its HMAC only once every byte has arrived, Twilio's
 * form against its signature only once it is parsed. Without a bound, a few thousand slow
 * connections with a well-formed fake signature hold gigabytes for as long as the request deadline
 * lets them (slow-clients.ts).
 *
 * When a body's next bytes do not fit, the largest body held goes first, counting the newcomer at
 * its size with those bytes: a flood of big fake bodies makes room for the few-KB POSTs Meta
 * sends, rather than turning them away. A body given up is answered 503 with `Retry-After`
 * (Meta and Twilio's REST callbacks retry). A stranger who wants to crowd out a real POST must
 * hold more connections, each with less than that POST, than MAX_CONNECTIONS lets in.
 */
/**
 * What a chunk of a body costs beyond its bytes: each is a Buffer of its own (measured on node 20:
 * about 200 bytes of heap and rss about 1 KB higher per 1-byte chunk held), so a body trickled a byte
 * at a time costs far more than its length. Counted, a trickle stays inside the budget too.
 */
export const CHUNK_COST_BYTES = 1024;

export class BodyBudget {
  #held = 0;
  #peak = 0;
  readonly #holds = new Set<Hold>();

  constructor(readonly limitBytes: number) {}

  /** Bytes held now. */
  get heldBytes(): number {
    return this.#held;
  }

  /** The most bytes held at once since the start. */
  get peakBytes(): number {
    return this.#peak;
  }

  /**
   * A body read chunk by chunk, counted as it arrives. `onGivenUp` is called (once, synchronously)
   * when the body is given up to make room for another; its bytes no longer count by then.
   */
  open(onGivenUp: () => void): BodyHold {
    const hold: Hold = { bytes: 0, open: true, onGivenUp };
    return {
      add: (bytes) => {
        if (!hold.open) return false;
        if (!this.#makeRoom(bytes, hold.bytes + bytes, hold)) {
          this.#release(hold);
          return false;
        }
        if (hold.bytes === 0) this.#holds.add(hold);
        hold.bytes += bytes;
        this.#count(bytes);
        return true;
      },
      release: () => this.#release(hold),
    };
  }

  /**
   * `bytes` at once, for a body read by a parser that cannot be stopped midway (Express's
   * urlencoded): they fit, or the body is refused before it is read. Returns the function that
   * gives them back, or null when they cannot fit. Such bodies are never given up for another.
   */
  reserve(bytes: number): (() => void) | null {
    if (!this.#makeRoom(bytes, bytes)) return null;
    this.#count(bytes);
    let returned = false;
    return () => {
      if (returned) return;
      returned = true;
      this.#held -= bytes;
    };
  }

  /** Gives up the largest bodies held until `bytes` more fit; false when the newcomer (then `newcomerSize`) is the largest. */
  #makeRoom(bytes: number, newcomerSize: number, newcomer?: Hold): boolean {
    while (this.#held + bytes > this.limitBytes) {
      const largest = this.#largestBesides(newcomer);
      if (!largest || largest.bytes <= newcomerSize) return false;
      this.#release(largest);
      largest.onGivenUp();
    }
    return true;
  }

  #largestBesides(newcomer: Hold | undefined): Hold | undefined {
    let largest: Hold | undefined;
    for (const hold of this.#holds) {
      if (hold !== newcomer && (!largest || hold.bytes > largest.bytes)) largest = hold;
    }
    return largest;
  }

  #count(bytes: number): void {
    this.#held += bytes;
    if (this.#held > this.#peak) this.#peak = this.#held;
  }

  #release(hold: Hold): void {
    if (!hold.open) return;
    hold.open = false;
    this.#held -= hold.bytes;
    hold.bytes = 0;
    this.#holds.delete(hold);
  }
}

/** One body's share of a `BodyBudget`. */
export interface BodyHold {
  /** Counts `bytes` more of the body; false when they cannot fit, and the body is then given up (released). */
  add(bytes: number): boolean;
  /** The body was read whole, or abandoned: its bytes no longer count. Safe to call more than once. */
  release(): void;
}

interface Hold {
  bytes: number;
  open: boolean;
  onGivenUp: () => void;
}
