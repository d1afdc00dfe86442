/**
 * An AppendWriter that fails on demand, for the embedded store's failure tests: while `failing`,
 * or for the next `failNext` appends, an append fails before writing (ENOSPC); for the next
 * `writeThenFail` appends it fails after its bytes reached the file (EIO), as an O_DSYNC write can;
 * and while `hold()` is in effect appends wait until `open()`. `calls` counts appends asked for.
 */
import { AppendWriter } from '../../server/store/embedded/append-writer.ts';

export class FaultyWriter extends AppendWriter {
  failing = false;
  failNext = 0;
  writeThenFail = 0;
  calls = 0;
  private gate: Promise<void> | null = null;
  private release = () => undefined as void;

  hold(): void {
    this.gate = new Promise<void>((r) => (this.release = r));
  }

  open(): void {
    this.gate = null;
    this.release();
  }

  override async append(path: string, text: string | Uint8Array | readonly (string | Uint8Array)[]): Promise<void> {
    this.calls++;
    if (this.gate) await this.gate;
    if (this.failing || this.failNext > 0) {
      if (this.failNext > 0) this.failNext--;
      throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
    }
    await super.append(path, text);
    if (this.writeThenFail > 0) {
      this.writeThenFail--;
      throw Object.assign(new Error('EIO: i/o error'), { code: 'EIO' });
    }
  }
}
