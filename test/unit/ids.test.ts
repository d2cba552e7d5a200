import { describe, expect, it } from 'vitest';
import { newUlid, ULID_PATTERN, ulidTime } from '../../src/shared/ids';

describe('ULIDs', () => {
  it('are 26 Crockford base32 characters carrying their creation time', () => {
    const id = newUlid(1_700_000_000_123);
    expect(id).toMatch(ULID_PATTERN);
    expect(ulidTime(id)).toBe(1_700_000_000_123);
  });

  it('sort in creation order, even many within one millisecond', () => {
    const ids = Array.from({ length: 1000 }, () => newUlid(1_700_000_000_000));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(1000);
    const later = newUlid(1_700_000_000_001);
    expect(later > ids[999]!).toBe(true);
  });
});
