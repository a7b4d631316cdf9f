/**
 * One entry point for `ferry plan dry-run --format`: the report as text (a terminal), Markdown (a ticket), JSON
 * (machines; the same data, stable field order) or one self-contained HTML file (a browser, no network).
 */
import { renderHtml } from './render-html.js';
import { renderJson } from './render-json.js';
import { renderMarkdown } from './render-md.js';
import { renderText } from './render-text.js';
import type { DryRunReport } from './report.js';

export type ReportFormat = 'text' | 'md' | 'json' | 'html';

export const REPORT_FORMATS: readonly ReportFormat[] = ['text', 'md', 'json', 'html'];

export function isReportFormat(s: string): s is ReportFormat {
  return (REPORT_FORMATS as readonly string[]).includes(s);
}

export function renderReport(r: DryRunReport, format: ReportFormat): string {
  switch (format) {
    case 'text':
      return renderText(r);
    case 'md':
      return renderMarkdown(r);
    case 'json':
      return renderJson(r);
    case 'html':
      return renderHtml(r);
    default: {
      const never: never = format;
      throw new Error(`unknown report format ${JSON.stringify(never)}: use one of ${REPORT_FORMATS.join(', ')}`);
    }
  }
}

export { renderHtml, renderJson, renderMarkdown, renderText };
