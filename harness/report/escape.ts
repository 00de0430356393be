// Escaping for every format a report is written in. Pure. Text that came from a kernel (serial
// output, markers, reasons) is data: it must never become markup, a directive or a parse error.

/** Characters XML 1.0 does not allow at all, even as character references. */
const XML_ILLEGAL = /[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Control characters (but tab, LF, CR) and unpaired surrogates shown as visible escapes. */
const INVISIBLE = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

function visibleEscape(ch: string): string {
  const code = ch.charCodeAt(0);
  return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
}

/**
 * Serial text as people should read it: CRLF line ends become LF, a lone CR (a progress line
 * overwriting itself) is shown as "\r", other control bytes as "\xNN" (the same notation the
 * serial decoder uses for bytes that are not UTF-8). Nothing is dropped silently.
 */
export function displayText(text: string): string {
  return text.replace(/\r\n/g, '\n').replace(/\r/g, '\\r').replace(INVISIBLE, visibleEscape);
}

/** XML 1.0 cannot carry these characters even escaped: replace them with visible escapes. */
export function xmlLegal(text: string): string {
  return text.replace(XML_ILLEGAL, visibleEscape);
}

export function escapeXmlText(text: string): string {
  // ">" too, so "]]>" in serial output cannot end anything; CR as a reference so it survives parsing.
  return xmlLegal(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r/g, '&#13;');
}

export function escapeXmlAttr(text: string): string {
  // Parsers normalise raw tab/LF/CR in attributes to spaces: keep them as references.
  return escapeXmlText(text).replace(/"/g, '&quot;').replace(/'/g, '&apos;').replace(/\t/g, '&#9;').replace(/\n/g, '&#10;');
}

export function escapeHtml(text: string): string {
  return text
    .replace(INVISIBLE, visibleEscape)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/**
 * JSON to embed in <script type="application/json">: "<" ">" "&" and the two JavaScript line
 * separators as \u escapes, so no "</script>" or "<!--" can appear in the element's text.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A YAML 1.2 double-quoted scalar (JSON's escapes are a subset), with YAML 1.1 line breaks escaped too. */
export function yamlString(text: string): string {
  return JSON.stringify(text.replace(INVISIBLE, visibleEscape)).replace(
    /[\u0085\u2028\u2029]/g,
    (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** A TAP test point description: one line, "#" escaped so it cannot start a directive, and
 *  control bytes (NUL, ESC...) shown as "\xNN" as in the serial text (after "\" is doubled). */
export function tapDescription(text: string): string {
  return text
    .replace(/[\r\n]+/g, ' ')
    .replace(/\\/g, '\\\\')
    .replace(/#/g, '\\#')
    .replace(INVISIBLE, visibleEscape);
}
