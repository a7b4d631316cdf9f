import { Ajv } from 'ajv';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { connectors } from '../../../src/connectors/registry.js';
import { planJsonSchema, PLAN_SCHEMA_DIALECT } from '../../../src/plan/plan-schema.js';
import { createPlanAjv } from '../../../src/plan/schema-validator.js';

type Schema = Record<string, any>;

describe('planJsonSchema', () => {
  const schema = planJsonSchema() as Schema;

  it('is valid draft-07 JSON Schema that a stock ajv accepts, and compiles in strict mode', () => {
    const plain = new Ajv({ strict: false });
    expect(plain.validateSchema(schema), JSON.stringify(plain.errors)).toBe(true);
    expect(() => plain.compile(schema)).not.toThrow();
    expect(() => createPlanAjv().compile(schema)).not.toThrow();
    expect(schema.$schema).toBe(PLAN_SCHEMA_DIALECT);
  });

  it('has a title and describes every top-level key, for editors', () => {
    expect(schema.title).toBe('ferry plan');
    expect(typeof schema.description).toBe('string');
    for (const [key, prop] of Object.entries(schema.properties as Record<string, Schema>)) {
      expect(typeof prop.description, key).toBe('string');
    }
    expect(schema.required).toEqual(['version', 'kind', 'name', 'source', 'target', 'streams']);
    expect(schema.additionalProperties).toBe(false);
  });

  it('offers every connector, with all of its options, as source and as target', () => {
    for (const role of ['source', 'target']) {
      const branches = schema.properties[role].oneOf as Schema[];
      expect(branches.map((b) => b.properties.type.const)).toEqual(connectors.map((c) => c.type));
      for (const c of connectors) {
        const branch = branches.find((b) => b.properties.type.const === c.type)!;
        expect(branch.additionalProperties).toBe(false);
        for (const key of Object.keys(c.optionsSchema.properties as object)) {
          expect(branch.properties[key], `${role} ${c.type}.${key}`).toBeDefined();
          expect(typeof branch.properties[key].description, `${c.type}.${key} description`).toBe('string');
        }
      }
    }
  });

  it('offers every connector\'s stream keys, saying which store takes them', () => {
    const streamProps = schema.properties.streams.items.properties as Record<string, Schema>;
    for (const c of connectors) {
      for (const key of [...Object.keys(c.sourceStreamSchema ?? {}), ...Object.keys(c.targetStreamSchema ?? {})]) {
        expect(streamProps[key], key).toBeDefined();
      }
    }
    expect(streamProps.key_columns!.description).toContain('(postgres source)');
    expect(streamProps.match!.description).toContain('(s3 source, gcs source, azure-blob source)');
  });

  it('accepts the example plans (editors will not flag them)', async () => {
    const validate = createPlanAjv().compile(schema);
    for (const name of ['example-postgres-to-dynamodb.yaml', 'example-s3-to-gcs.yaml']) {
      const text = await readFile(fileURLToPath(new URL(`../../../plans/${name}`, import.meta.url)), 'utf8');
      const data = parse(text.replace(/\$\{env:[^}]*\}/g, 'x').replace('endpoint: x', 'endpoint: http://x'));
      expect(validate(data), `${name}: ${JSON.stringify(validate.errors)}`).toBe(true);
    }
  });

  it('is plain JSON (it is printed by `ferry plan schema`)', () => {
    expect(JSON.parse(JSON.stringify(schema))).toEqual(schema);
  });
});

describe('connector descriptors', () => {
  it('have unique types and object-typed options', () => {
    expect(new Set(connectors.map((c) => c.type)).size).toBe(connectors.length);
    for (const c of connectors) {
      expect(c.optionsSchema.type, c.type).toBe('object');
      // Sources land connector by connector; where one exists it is a factory.
      if (c.createSource !== undefined) expect(typeof c.createSource, c.type).toBe('function');
    }
  });

  it('never use one stream key for a source and a target, nor a common key, so a stream can carry both', () => {
    const common = ['from', 'to', 'segments', 'write', 'map'];
    const sourceKeys = new Set(connectors.flatMap((c) => Object.keys(c.sourceStreamSchema ?? {})));
    const targetKeys = new Set(connectors.flatMap((c) => Object.keys(c.targetStreamSchema ?? {})));
    for (const k of sourceKeys) expect(targetKeys.has(k), k).toBe(false);
    for (const k of common) expect(sourceKeys.has(k) || targetKeys.has(k), k).toBe(false);
  });
});
