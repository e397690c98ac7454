/**
 * The editor's edge of the request contract: requests carry LF text (protocol.ts InfillRequest),
 * documents may use CRLF. Text read from a document goes through `documentText`, an answer going
 * into one through `fromLf(text, documentLineEnd(document))`.
 */
import * as vscode from 'vscode';
import { toLf, type LineEnd } from '../protocol/text';

export { fromLf } from '../protocol/text';

export function documentLineEnd(document: vscode.TextDocument): LineEnd {
  return document.eol === vscode.EndOfLine.CRLF ? '\r\n' : '\n';
}

/** The document's text (or a range of it) with LF line ends. */
export function documentText(document: vscode.TextDocument, range?: vscode.Range): string {
  return toLf(document.getText(range));
}
