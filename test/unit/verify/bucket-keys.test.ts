import { describe, expect, it } from 'vitest';
import { BucketKeys, KEY_SLOT } from '../../../src/verify/bucket-keys.js';

describe('per-bucket key XOR slots', () => {
  it('give back the one key not taken out, whatever the order, non-ASCII included', () => {
    const k = new BucketKeys(4);
    const ids = ['id=1', 'name=Zoë 🚢, id=2', 'id=300', 'path=a/b/c'];
    for (const id of ids) k.add(2, id);
    expect(k.recover(2, ['id=300', 'id=1', 'path=a/b/c'])).toBe('name=Zoë 🚢, id=2');
    expect(k.recover(2, ['name=Zoë 🚢, id=2', 'id=1', 'id=300'])).toBe('path=a/b/c');
    // Other buckets are untouched.
    expect(k.recover(1, [])).toBeUndefined();
  });

  it('say nothing when more than one key is left, or a key was too long for a slot', () => {
    const k = new BucketKeys(2);
    for (const id of ['id=1', 'id=2', 'id=3']) k.add(0, id);
    expect(k.recover(0, ['id=1'])).toBeUndefined(); // two left: garbage, not a key
    k.add(1, 'id=9');
    k.add(1, `name=${'x'.repeat(KEY_SLOT)}`);
    expect(k.recover(1, [`name=${'x'.repeat(KEY_SLOT)}`])).toBeUndefined();
  });
});
