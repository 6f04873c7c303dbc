// The model's picture beside a .rnn document. The language server draws it (`rnnc.showModel`,
// the same SVG as `rnnc draw`); this shows it in a webview panel, one per document, and redraws
// it a moment after the document stops changing. While the text has errors the panel keeps the
// last drawing, faded, under the server's message.
'use strict';
const vscode = require('vscode');

const SHOW_MODEL = 'rnnc.showModel';
/** How long the document must stay unchanged before the picture is redrawn. */
const DEBOUNCE_MS = 300;

/** @param {string} s */
function escapeHtml(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}

/** @param {string} uri */
function nameOf(uri) {
  const last = uri.split('/').pop() || uri;
  try {
    return decodeURIComponent(last);
  } catch {
    return last;
  }
}

/**
 * The webview's page: the SVG (which rnnc escaped), and an error above it when there is one. No
 * scripts and nothing loaded from anywhere (the content security policy says so).
 * @param {string} title
 * @param {string | undefined} svg
 * @param {{ message: string, details: string[] } | undefined} error
 */
function page(title, svg, error) {
  const body = [];
  if (error) {
    body.push(`<div class="error"><strong>${escapeHtml(error.message)}</strong>`);
    if (error.details.length) body.push(`<ul>${error.details.map((d) => `<li>${escapeHtml(d)}</li>`).join('')}</ul>`);
    body.push('</div>');
  }
  body.push(svg ? `<div class="${error ? 'stale' : 'model'}">${svg}</div>` : `<p class="note">${error ? '' : 'Drawing the model…'}</p>`);
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:;">`,
    `<title>${escapeHtml(title)}</title>`,
    '<style>',
    'body { margin: 0; padding: 12px; color: var(--vscode-foreground); font-family: var(--vscode-font-family); }',
    'svg { display: block; max-width: 100%; height: auto; border-radius: 6px; }',
    '.stale { opacity: 0.45; }',
    '.error { margin-bottom: 12px; padding: 8px 12px; border-left: 3px solid var(--vscode-editorError-foreground, #e51400); }',
    '.error ul { margin: 6px 0 0; padding-left: 18px; }',
    '</style>',
    '</head>',
    `<body>${body.join('')}</body>`,
    '</html>',
  ].join('\n');
}

/** What a failed request says: the server's message and, for a spec with errors, each error. */
function failure(err) {
  const diagnostics = (err && err.data && Array.isArray(err.data.diagnostics) && err.data.diagnostics) || [];
  return {
    message: (err && err.message) || String(err),
    details: diagnostics.map((d) => `line ${d.range.start.line + 1}: ${d.message}${d.code ? ` (${d.code})` : ''}`),
  };
}

class ModelViews {
  /** @param {(uri: string) => Promise<{ svg: string }>} request asks the server for a document's drawing */
  constructor(request) {
    this.request = request;
    /** @type {Map<string, { uri: string, title: string, panel: import('vscode').WebviewPanel, seq: number, timer: ReturnType<typeof setTimeout> | undefined, svg: string | undefined }>} */
    this.views = new Map();
  }

  /**
   * Opens the view of `uri` beside the editor (or brings it forward) and draws it.
   * @param {string} uri
   */
  show(uri) {
    let view = this.views.get(uri);
    if (view) {
      view.panel.reveal(vscode.ViewColumn.Beside, true);
    } else {
      const title = `Model: ${nameOf(uri)}`;
      const panel = vscode.window.createWebviewPanel('rnnc.model', title, { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, { enableScripts: false });
      view = { uri, title, panel, seq: 0, timer: undefined, svg: undefined };
      const opened = view;
      panel.onDidDispose(() => {
        clearTimeout(opened.timer);
        if (this.views.get(uri) === opened) this.views.delete(uri);
      });
      this.views.set(uri, view);
      panel.webview.html = page(title, undefined, undefined);
    }
    return this.draw(view, () => this.request(uri));
  }

  /** Draws into the view; an answer that arrives after a newer request was made is dropped. */
  async draw(view, fetch) {
    const seq = ++view.seq;
    const current = () => seq === view.seq && this.views.get(view.uri) === view;
    try {
      const result = await fetch();
      if (current()) {
        view.svg = result.svg;
        view.panel.webview.html = page(view.title, result.svg, undefined);
      }
      return result;
    } catch (err) {
      if (current()) view.panel.webview.html = page(view.title, view.svg, failure(err));
      return undefined;
    }
  }

  /**
   * A document changed: redraw its view, if it has one, once the edits pause.
   * @param {string} uri
   */
  changed(uri) {
    const view = this.views.get(uri);
    if (!view) return;
    clearTimeout(view.timer);
    view.timer = setTimeout(() => {
      view.timer = undefined;
      void this.draw(view, () => this.request(uri));
    }, DEBOUNCE_MS);
  }

  dispose() {
    for (const view of [...this.views.values()]) view.panel.dispose();
    this.views.clear();
  }
}

/** The active editor's document, when it is a .rnn file (the command palette passes no URI). */
function activeUri() {
  const editor = vscode.window.activeTextEditor;
  return editor && editor.document.languageId === 'rnn' ? editor.document.uri.toString() : undefined;
}

/**
 * Language-client middleware. The server announces `rnnc.showModel`, so the client registers it
 * as a VS Code command that forwards to the server; this intercepts it — from the code lens,
 * the command palette or the editor title — to show the answer in the view. The view asks the
 * server itself (`request`) rather than through `next`, whose failures would also pop up a
 * notification: a spec with errors is shown in the panel, not as a failed request.
 * @param {ModelViews} views
 */
function middleware(views) {
  return {
    executeCommand(command, args, next) {
      if (command !== SHOW_MODEL) return next(command, args);
      const uri = typeof args[0] === 'string' ? args[0] : activeUri();
      if (!uri) {
        void vscode.window.showInformationMessage('rnnc: open a .rnn file to show its model.');
        return undefined;
      }
      return views.show(uri);
    },
  };
}

module.exports = { ModelViews, middleware, page, SHOW_MODEL, DEBOUNCE_MS };
