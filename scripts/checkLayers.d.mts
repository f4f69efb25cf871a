/** Every layering violation under `root`: the imports and the layers' tsconfigs, as `file:line: reason`. */
export function checkLayers(root: string): string[];
/** Every import that crosses a layer boundary under `root`, as `file:line: reason`. */
export function checkImports(root: string): string[];
/** The per-layer tsconfigs that no longer hide what their layer may not use. */
export function checkTsconfigs(root: string): string[];
