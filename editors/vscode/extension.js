// The VS Code client of `accessc lsp`: starts the server over stdio for
// `.access` files. Everything else (diagnostics, hover, completion, …) is the
// server's.
const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const config = vscode.workspace.getConfiguration("accessc");
  const command = config.get("path", "accessc");
  const serverOptions = {
    run: { command, args: ["lsp"], transport: TransportKind.stdio },
    debug: { command, args: ["lsp"], transport: TransportKind.stdio },
  };
  const clientOptions = {
    documentSelector: [{ scheme: "file", language: "access" }, { scheme: "untitled", language: "access" }],
    initializationOptions: { program: config.get("program", "directory") },
    synchronize: {
      fileEvents: vscode.workspace.createFileSystemWatcher("**/*.{access,json}"),
    },
  };
  client = new LanguageClient("accessc", "accessc", serverOptions, clientOptions);
  client.start();
  context.subscriptions.push({ dispose: () => client && client.stop() });
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
