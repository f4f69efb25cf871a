// The engine's version, injected by esbuild from package.json (`define`); "dev" when run from source.
declare const __CODITECT_VERSION__: string | undefined;

/** Version reported in the ready handshake and `coditect --version`. */
export const ENGINE_VERSION: string = typeof __CODITECT_VERSION__ === 'string' ? __CODITECT_VERSION__ : '0.0.0-dev';
