/**
 * Text or attribute value for the HTML reports (dry run and verify): `& < > " '` as entities; C0/C1 control
 * characters shown as `\u001b` so they are visible; NUL and lone surrogates (which a browser would show as U+FFFD
 * anyway) as U+FFFD.
 */
const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function esc(value: unknown): string {
  const s = typeof value === 'string' ? value : String(value);
  return s
    .replace(/[&<>"']/g, (c) => ESCAPES[c]!)
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
    .replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
}
