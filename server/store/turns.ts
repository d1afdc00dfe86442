/**
 * One at a time in this process, in arrival order, for work that reads, decides and writes across
 * several awaits (a configuration change checked against the fleet, `Store.configWrite`). The
 * embedded store's whole lock (one process owns a DATA_DIR); on PostgreSQL the queue in front of
 * the database lock, so a burst of changes holds one pooled connection, not one each. A caller
 * waits at most `waitMs` for its turn, then gets `busy()` thrown and its work never runs — a stuck
 * holder (a disk or database that stopped answering) does not pile up requests without bound.
 */
export class Turns {
  private held = false;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly waitMs: number,
    private readonly busy: () => Error,
  ) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.held) await this.turn();
    else this.held = true;
    try {
      return await work();
    } finally {
      // Handed straight to the next in line (still held), so no newcomer slips in between.
      const next = this.waiting.shift();
      if (next) next();
      else this.held = false;
    }
  }

  private turn(): Promise<void> {
    return new Promise((resolve, reject) => {
      const go = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiting.splice(this.waiting.indexOf(go), 1);
        reject(this.busy());
      }, this.waitMs);
      this.waiting.push(go);
    });
  }
}
