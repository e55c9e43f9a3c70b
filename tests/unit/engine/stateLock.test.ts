import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { abandonedBecause, lockRefusal, reportedLocks } from "../../../engine/stateLock";

/** What the CLI (v3.274) prints when a DIY backend's stack is locked, as seen in tests/e2e/interruption. */
const LOCKED = [
    "warning: destroy deletes every registration of the stack: ...",
    "error: the stack is currently locked by 1 lock(s). Either wait for the other process(es) to end or delete the lock file with `pulumi cancel`.",
    "  file:///tmp/w/state/backend/.pulumi/locks/organization/argocd-clusters/local/d46f9c72-eede-4125-8436-faef9cff9478.json?no_tmp_dir=true: created by root@vm (pid 6385) at 2026-12-08T00:53:50Z",
    "",
].join("\n");

describe("a stack left locked by a stopped run", () => {
    it("reads every lock the CLI reports, and none from a run refused for anything else", () => {
        assert.deepEqual(reportedLocks(LOCKED), [
            {
                file: "file:///tmp/w/state/backend/.pulumi/locks/organization/argocd-clusters/local/d46f9c72-eede-4125-8436-faef9cff9478.json?no_tmp_dir=true",
                holder: "root@vm",
                host: "vm",
                pid: 6385,
                takenAt: "2026-12-08T00:53:50Z",
            },
        ]);
        assert.deepEqual(
            reportedLocks("error: update failed\n  x: created by root@vm (pid 1) at 2026-12-08T00:53:50Z"),
            [],
        );
    });

    it("is abandoned when its process on this machine is gone, or when the caller is the stack's only writer", () => {
        const [lock] = reportedLocks(LOCKED);
        const gone = () => false;
        const running = () => true;
        assert.match(
            abandonedBecause(lock, { onlyWriter: false, hostname: "vm", alive: gone }) ?? "",
            /process 6385 on this machine \(vm\) no longer exists/,
        );
        assert.equal(
            abandonedBecause(lock, { onlyWriter: false, hostname: "vm", alive: running }),
            undefined,
            "a live process holds it",
        );
        assert.equal(
            abandonedBecause(lock, { onlyWriter: false, hostname: "runner-2", alive: gone }),
            undefined,
            "another machine's process cannot be checked",
        );
        assert.match(
            abandonedBecause(lock, { onlyWriter: true, hostname: "runner-2", alive: gone }) ?? "",
            /only writer/,
        );
    });

    it("is otherwise refused with its holder, its age and the fix", () => {
        const text = lockRefusal("production", reportedLocks(LOCKED), new Date("2026-12-08T01:03:50Z"));
        assert.match(text, /stack production is locked by a run that may still be going on/);
        assert.match(text, /root@vm \(pid 6385\) since 2026-12-08T00:53:50Z \(10 min ago\)/);
        assert.match(text, /npm run pulumi -- cancel --yes --stack production/);
        assert.match(text, /--only-writer/);
    });
});
