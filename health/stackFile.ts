/**
 * The stack's configuration as the program sees it, read from `Pulumi.<stack>.yaml` without the engine: the
 * health report runs where a pipeline has just run `up` (a kubeconfig, no need for the state or its
 * passphrase), and must judge the hub against the same settings the program registered from. So the file's
 * `config` goes through the program's own loadStack (validation, kubeconfig resolution), never a second
 * reading of the keys.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { PROJECT } from "../argocd/names";
import { type LoadedStack, loadStack } from "../stack/config";
import type { Environment } from "../stack/kubeconfig";
import { ConfigurationError } from "../stack/settings";
import type { RawStackConfig } from "../stack/validate";

/** Why the stack cannot be read here: a usage or configuration error (exit 2), worded for the person. */
export class StackFileError extends Error {}

export interface StackOnDisk {
    /** Pulumi.yaml's `name`: with the stack, the value of the ownership annotation on every cluster Secret. */
    project: string;
    /** The stack's short name (`org/project/stack` → `stack`), as Pulumi.getStack() gives it to the program. */
    stack: string;
    stackFile: string;
    loaded: LoadedStack;
}

/** `org/project/stack` and `stack` both name their file after the stack alone, as scripts/preview does. */
export function shortStackName(stack: string): string {
    return stack.split("/").pop() ?? stack;
}

/**
 * Key paths below `value` holding a Pulumi secret (`{secure: ...}`): encrypted with the stack's secrets
 * provider, which this report does not hold. The ciphertext itself is never quoted.
 */
export function securePaths(value: unknown, at: string): string[] {
    if (Array.isArray(value)) return value.flatMap((v, i) => securePaths(v, `${at}[${i}]`));
    if (value === null || typeof value !== "object") return [];
    const o = value as Record<string, unknown>;
    if (Object.keys(o).length === 1 && typeof o.secure === "string") return [at];
    return Object.entries(o).flatMap(([k, v]) => securePaths(v, `${at}.${k}`));
}

/** The stack file's `config` as the runtime would hand it to readRawConfig (structured values as objects). */
export function rawConfigOf(config: Record<string, unknown>, stack: string): RawStackConfig {
    const projectKeys = Object.keys(config).filter((k) => k.startsWith(`${PROJECT}:`));
    return {
        argocd: config[`${PROJECT}:argocd`],
        clusters: config[`${PROJECT}:clusters`],
        projectKeys,
        secretKeys: [],
        stack,
    };
}

/**
 * Reads Pulumi.yaml and Pulumi.<stack>.yaml in `dir` and loads the stack as the program does. Throws
 * StackFileError naming the file and the key.
 */
export function readStack(dir: string, stackArg: string, env: Environment = process.env): StackOnDisk {
    const stack = shortStackName(stackArg);
    const stackFile = `Pulumi.${stack}.yaml`;
    const projectText = readText(path.join(dir, "Pulumi.yaml"));
    const project = (yaml.load(projectText, { schema: yaml.CORE_SCHEMA }) as { name?: unknown } | null)?.name;
    if (typeof project !== "string" || project === "")
        throw new StackFileError(`${path.join(dir, "Pulumi.yaml")} has no project name`);
    let document: unknown;
    try {
        document = yaml.load(readText(path.join(dir, stackFile)), { schema: yaml.CORE_SCHEMA });
    } catch (err) {
        if (err instanceof StackFileError) throw err;
        throw new StackFileError(`${stackFile} is not valid YAML`);
    }
    const config = ((document ?? {}) as { config?: unknown }).config;
    if (config === null || typeof config !== "object" || Array.isArray(config))
        throw new StackFileError(`${stackFile} has no config`);
    const secrets = Object.entries(config as Record<string, unknown>)
        .filter(([k]) => k.startsWith(`${PROJECT}:`))
        .flatMap(([k, v]) => securePaths(v, k));
    if (secrets.length > 0) {
        throw new StackFileError(
            `${stackFile}: ${secrets.join(", ")} ${secrets.length === 1 ? "is a" : "are"} Pulumi secret${secrets.length === 1 ? "" : "s"}, ` +
                "which the health report cannot decrypt (it reads the stack file without the engine). fix: give kubeconfig as a path " +
                "(or through $KUBECONFIG) for this stack",
        );
    }
    try {
        return {
            project,
            stack,
            stackFile,
            loaded: loadStack(rawConfigOf(config as Record<string, unknown>, stack), stackFile, env),
        };
    } catch (err) {
        if (err instanceof ConfigurationError)
            throw new StackFileError(err.message.replace(/; nothing was registered:/, ":"));
        throw err;
    }
}

function readText(file: string): string {
    try {
        return fs.readFileSync(file, "utf8");
    } catch (err) {
        throw new StackFileError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
}
