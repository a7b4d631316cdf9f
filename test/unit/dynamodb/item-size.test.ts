import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { Decimal, TypedSet, type Doc } from '../../../src/core/record.js';
import { itemSize, writeUnits } from '../../../src/connectors/dynamodb/item-size.js';
import { toItem } from '../../../src/connectors/dynamodb/marshal.js';

// dynalite's own size function, which its authors matched against DynamoDB's capacity accounting (it counts strings
// in UTF-16 units, so it is compared on ASCII text only).
const dynalite = createRequire(import.meta.url)('dynalite/db/index.js') as { itemSize(item: unknown): number };

describe('DynamoDB item size', () => {
  it('counts attribute names plus values by DynamoDB\'s rules', () => {
    expect(itemSize({ id: 'abc' })).toBe(2 + 3);
    expect(itemSize({ 'zoë': 'é' })).toBe(4 + 2); // UTF-8 bytes of name and value
    expect(itemSize({ n: new Decimal('12345') })).toBe(1 + 4);
    expect(itemSize({ b: true, z: null })).toBe(2 + 2);
    expect(itemSize({ bin: new Uint8Array(10) })).toBe(3 + 10);
    expect(itemSize({ l: [] })).toBe(1 + 3);
    expect(itemSize({ l: ['a', new Decimal('1')] })).toBe(1 + 3 + (1 + 1) + (1 + 2));
    expect(itemSize({ m: { k: 'v' } })).toBe(1 + 3 + 1 + 1 + 1);
    expect(itemSize({ ss: new TypedSet('string', ['ab', 'c']) })).toBe(2 + 3);
    expect(itemSize({ ns: new TypedSet('number', [new Decimal('1'), new Decimal('-1')]) })).toBe(2 + 2 + 3);
  });

  it('agrees with dynalite on a spread of ASCII items', () => {
    const docs: Doc[] = [
      { id: 'x', n0: new Decimal('0'), n1: new Decimal('-123.456'), n2: new Decimal('1000000'), n3: new Decimal('0.0001') },
      { pk: 'a'.repeat(1000), l: [[], [new Decimal('99')], { deep: { deeper: [null, true] } }] },
      { bs: new TypedSet('binary', [new Uint8Array(3), new Uint8Array(5)]), b: new Uint8Array(7), e: '' },
      { big: new Decimal('12345678901234567890123456789012345678'), neg: new Decimal('-0.5'), odd: new Decimal('1.23') },
    ];
    for (const d of docs) expect(itemSize(d)).toBe(dynalite.itemSize(toItem(d)));
  });

  it('1 WCU per started KB', () => {
    expect(writeUnits(1)).toBe(1);
    expect(writeUnits(1024)).toBe(1);
    expect(writeUnits(1025)).toBe(2);
    expect(writeUnits(400 * 1024)).toBe(400);
  });
});
