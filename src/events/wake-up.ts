/**
 * A background loop's pause: sleeps until the time is up or `wake()` is called. A wake that
 * comes while the loop is busy is kept, so the next pause ends at once and nothing is missed.
 */
export class WakeUp {
  private pending = false;
  private resolveSleep?: () => void;

  wake(): void {
    if (this.resolveSleep) this.resolveSleep();
    else this.pending = true;
  }

  sleep(ms: number): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.resolveSleep = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.resolveSleep = done;
    });
  }
}
