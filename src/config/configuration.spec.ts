import { AppConfig, validateConfig } from './configuration';
import { parseCorsOrigins } from './cors-origins';

/** Every setting whose default is a number: a whole number, given as digits. */
const NUMERIC = Object.entries(new AppConfig())
  .filter(([, value]) => typeof value === 'number')
  .map(([name]) => name);

describe('validateConfig: numeric settings', () => {
  it.each(NUMERIC)('%s that is not a number says so, whatever its bounds', (name) => {
    for (const value of ['abc', '1.5', '12ms', ' ']) {
      expect(() => validateConfig({ [name]: value })).toThrow(
        `Invalid configuration: ${name}=${JSON.stringify(value)}: ${name} must be a whole number, written in digits`,
      );
    }
  });

  it('names the bound a number breaks', () => {
    expect(() => validateConfig({ PORT: '70000' })).toThrow(
      'Invalid configuration: PORT="70000": PORT must not be greater than 65535',
    );
    expect(() => validateConfig({ RATE_LIMIT_PER_MINUTE: '0' })).toThrow(
      'Invalid configuration: RATE_LIMIT_PER_MINUTE="0": RATE_LIMIT_PER_MINUTE must not be less than 1',
    );
    expect(validateConfig({ PORT: '8080' }).PORT).toBe(8080);
  });
});

describe('CORS_ORIGINS', () => {
  it('is unset, *, or a comma list of origins', () => {
    expect(validateConfig({}).CORS_ORIGINS).toBeUndefined();
    expect(parseCorsOrigins('*')).toBe('*');
    expect(parseCorsOrigins('https://app.example.com, http://localhost:5173')).toEqual([
      'https://app.example.com',
      'http://localhost:5173',
    ]);
    for (const value of [
      'app.example.com',
      'https://app.example.com/',
      'https://a.example/path',
      '*,https://a.example',
    ])
      expect(() => validateConfig({ CORS_ORIGINS: value })).toThrow(
        /^Invalid configuration: CORS_ORIGINS=.*must be \*, or a comma list of origins/,
      );
  });
});
