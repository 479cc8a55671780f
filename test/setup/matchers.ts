// Matchers every spec file gets (jest.preset.js: setupFilesAfterEnv).
interface HttpReply {
  status: number;
  text: string;
}

expect.extend({
  /** `expect(res).toHaveStatus(201)`: on failure the message shows the body, which says why. */
  toHaveStatus(received: HttpReply, status: number) {
    const pass = received.status === status;
    return {
      pass,
      message: () =>
        `expected HTTP ${pass ? 'not ' : ''}${status}, got ${received.status}: ${String(received.text).slice(0, 2000)}`,
    };
  },
});

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace -- how @types/jest is extended
  namespace jest {
    interface Matchers<R> {
      toHaveStatus(status: number): R;
    }
  }
}
