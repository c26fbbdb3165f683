import { describe, expect, it } from 'vitest';
import { canonicalQueryString, formatAcsDate, percentEncode } from './canonical';

describe('encoding and ordering (docs/ecs-notes.md#v1-algorithm, docs/ecs-notes.md#signer-notes)', () => {
  it('percent-encodes per RFC 3986', () => {
    expect(percentEncode(" a!*'()~+/:")).toBe('%20a%21%2A%27%28%29~%2B%2F%3A');
    expect(percentEncode('["i-a","i-b"]')).toBe('%5B%22i-a%22%2C%22i-b%22%5D');
    expect(percentEncode('中')).toBe('%E4%B8%AD');
  });

  it('sorts names by UTF-16 code unit, so Tag.10.Key comes before Tag.2.Key', () => {
    expect(canonicalQueryString({ 'Tag.2.Key': 'b', 'Tag.10.Key': 'a', RegionId: 'cn-hangzhou' })).toBe(
      'RegionId=cn-hangzhou&Tag.10.Key=a&Tag.2.Key=b',
    );
  });

  it('writes empty values as k= and no parameters as the empty string', () => {
    expect(canonicalQueryString({ B: '', A: 'x' })).toBe('A=x&B=');
    expect(canonicalQueryString({})).toBe('');
  });

  it('formats dates without milliseconds', () => {
    expect(formatAcsDate(new Date('2023-10-26T10:22:32.999Z'))).toBe('2023-10-26T10:22:32Z');
  });
});
