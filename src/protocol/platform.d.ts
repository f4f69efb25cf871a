// The one global the protocol layer uses beyond ES2022, declared here because its tsconfig has neither the DOM nor
// Node's types: every host it runs in (Node, the browser, the extension host) has it.
declare function btoa(data: string): string;
