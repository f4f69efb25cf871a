// Error codes of the engine's JSON-RPC answers, declared once: a client branches on a failed request's `code`
// (vscode-jsonrpc's ResponseError.code), never on its message text. The codes sit in the range JSON-RPC leaves to
// servers (-32000 to -32099); notInitialized is LSP's ServerNotInitialized. Anything else the engine throws answers
// with JSON-RPC's InternalError (-32603) and the error's message.
export const ENGINE_ERRORS = {
  /** A request before `coditect/initialize` completed. */
  notInitialized: -32002,
  /** A request after `coditect/shutdown`. */
  shutDown: -32010,
  /** `initialize` from a client speaking another protocol major version. */
  protocolMismatch: -32011,
  /** The orchestrator config (file, profile or editor settings) is invalid; the message names the key and the value. */
  configInvalid: -32020,
  /** Another live process holds the database's writer lock. */
  databaseLocked: -32021,
  /** The database was made by a newer build. */
  schemaTooNew: -32022,
  /** The database holds tables of another tool that cannot be adopted. */
  adoptionRefused: -32023,
} as const;

export type EngineErrorName = keyof typeof ENGINE_ERRORS;
