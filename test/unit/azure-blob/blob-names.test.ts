/** Blob names Azure cannot hold byte for byte, and the name a request URL addresses (the proof a write went there). */
import { describe, expect, it } from 'vitest';
import { BlobServiceClient } from '@azure/storage-blob';
import { addressedName, azureNameProblem } from '../../../src/connectors/azure-blob/naming.js';

const container = BlobServiceClient.fromConnectionString(
  'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1',
).getContainerClient('c');

describe('azureNameProblem', () => {
  it.each(['k/../escape.txt', 'k/./dot.txt', '..', '.', 'k/..', './k', 'k/.'])('refuses the dot segment in %j', (name) => {
    expect(azureNameProblem(name)).toMatch(/URL clients resolve its "\.{1,2}" path segment/);
  });
  it('refuses a backslash and control characters, naming them', () => {
    expect(azureNameProblem('a\\b')).toMatch(/turns "\\" into "\/"/);
    expect(azureNameProblem('k/\u0001x')).toMatch(/control character U\+0001/);
    expect(azureNameProblem('k/\u007fx')).toMatch(/U\+007f/);
  });
  it.each(['k//two.txt', 'k/a..b/c', 'k/end.', '.hidden', 'k/...', 'k/%2e%2e/x', 'ü/🚢', 'q?x#y'])('holds %j', (name) => {
    expect(azureNameProblem(name)).toBeUndefined();
  });
});

describe('addressedName', () => {
  it('reads back the name the SDK would address, which differs exactly for the refused names', () => {
    for (const name of ['k//two.txt', 'k/a..b/c', 'q?x#y', 'sp ace', 'ü/🚢', 'k/%2e%2e/x', '100%']) {
      expect(addressedName(container.getBlockBlobClient(name).url, container.url)).toBe(name);
    }
    expect(addressedName(container.getBlockBlobClient('k/../escape.txt').url, container.url)).toBe('escape.txt');
    expect(addressedName(container.getBlockBlobClient('k/./dot.txt').url, container.url)).toBe('k/dot.txt');
    expect(addressedName(container.getBlockBlobClient('k/..').url, container.url)).toBe('');
  });
  it('is undefined for a URL outside the container', () => {
    expect(addressedName('http://127.0.0.1:10000/devstoreaccount1/other/x', container.url)).toBeUndefined();
  });
});
