/** The MD5 of an object's content, read now: for objects whose store states none. */
import { createHash } from 'node:crypto';
import type { ObjectInfo, ObjectStore } from '../core/object.js';
import { FerryError } from '../errors.js';

export async function md5OfObject(store: ObjectStore, info: ObjectInfo, signal: AbortSignal): Promise<string> {
  const body = await store.get(info.name, signal);
  const h = createHash('md5');
  let bytes = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    h.update(chunk);
    bytes += chunk.length;
  }
  if (bytes !== info.size) {
    throw new FerryError('TRANSIENT', `${store.url}/${info.name} was ${info.size} bytes when listed but ${bytes} when read: it changed meanwhile`, {
      hint: 'verify again once writers to it have stopped',
    });
  }
  return h.digest('hex');
}
