/** Where the engine wrapper puts the dynamic provider plugin for CLIs built without it (engineTools.ts). */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import {
    DYNAMIC_PROVIDER_PLUGIN,
    OWN_DYNAMIC_PROVIDER_PLUGIN,
    provideDynamicProviderPlugin,
} from "../../../engine/engineTools";

function cliDir(): { dir: string; pulumi: string; plugin: string } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cli-"));
    const pulumi = path.join(dir, "pulumi");
    fs.writeFileSync(pulumi, "#!/bin/sh\n", { mode: 0o755 });
    return { dir, pulumi, plugin: path.join(dir, DYNAMIC_PROVIDER_PLUGIN) };
}

describe("provideDynamicProviderPlugin", () => {
    it("puts the project's plugin beside a CLI that has none, executable", () => {
        const { pulumi, plugin } = cliDir();
        provideDynamicProviderPlugin(pulumi);
        assert.equal(fs.readFileSync(plugin, "utf8"), fs.readFileSync(OWN_DYNAMIC_PROVIDER_PLUGIN, "utf8"));
        assert.ok(fs.statSync(plugin).mode & 0o100);
    });

    it("beside the real binary when the CLI is reached through a symlink", () => {
        const { pulumi, plugin } = cliDir();
        const elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), "bin-"));
        fs.symlinkSync(pulumi, path.join(elsewhere, "pulumi"));
        provideDynamicProviderPlugin(path.join(elsewhere, "pulumi"));
        assert.ok(fs.existsSync(plugin));
        assert.ok(!fs.existsSync(path.join(elsewhere, DYNAMIC_PROVIDER_PLUGIN)));
    });

    it("leaves a release's own plugin alone, and replaces an older copy of ours", () => {
        const release = cliDir();
        fs.writeFileSync(release.plugin, "#!/bin/sh\nnode ./node_modules/@pulumi/pulumi/cmd/dynamic-provider $@\n", {
            mode: 0o755,
        });
        provideDynamicProviderPlugin(release.pulumi);
        assert.match(fs.readFileSync(release.plugin, "utf8"), /^#!\/bin\/sh\nnode \.\/node_modules/);

        const older = cliDir();
        const ours = fs.readFileSync(OWN_DYNAMIC_PROVIDER_PLUGIN, "utf8");
        fs.writeFileSync(older.plugin, `${ours}# an older copy\n`, { mode: 0o755 });
        provideDynamicProviderPlugin(older.pulumi);
        assert.equal(fs.readFileSync(older.plugin, "utf8"), ours);
    });
});
