/** Baseline program that registers nothing: the engine's floor (bench/emptyProgram.ts). */
export = async (): Promise<Record<string, unknown>> => ({});
