/** A stream pattern where `*` is any run of characters and everything else literal (`Orders*`, `public.*`). */
export function starPattern(pattern: string): RegExp {
  return new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
}
