import { installMocks } from "../../support/mocks";

const mocks = installMocks();

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { clusterSecretName } from "../../../argocd/clusterSecret";
import {
    CHILD_SUFFIXES,
    childName,
    type FixedPart,
    parseChildName,
    roleBindingChildName,
    roleChildName,
} from "../../../components/childNames";
import { register } from "../../support/fixtures";

/** Registration names as index.ts makes them: the cluster Secret's name of a server. */
const REGISTRATIONS = [
    "https://api.cluster.production:6443",
    "https://10.0.0.1:6443",
    "https://[fd00::1]:443",
    "https://k8s-role-token.example.com",
].map(clusterSecretName);

describe("child names", () => {
    it("every part built from a registration name parses back to that registration and part", () => {
        for (const registration of REGISTRATIONS) {
            for (const part of Object.keys(CHILD_SUFFIXES) as FixedPart[]) {
                assert.deepEqual(
                    parseChildName(childName(registration, part)),
                    { registration, part },
                    `${registration} ${part}`,
                );
            }
            // Namespaces that end like a fixed part's suffix stay namespaces.
            for (const namespace of ["apps", "token", "k8s", "cluster-secret", "role-binding-x"]) {
                assert.deepEqual(parseChildName(roleChildName(registration, namespace)), {
                    registration,
                    part: "role",
                    namespace,
                });
                assert.deepEqual(parseChildName(roleBindingChildName(registration, namespace)), {
                    registration,
                    part: "roleBinding",
                    namespace,
                });
            }
        }
    });

    it("names no part builds parse to nothing", () => {
        for (const name of ["argocd-cluster", "argocd", "-token", "something-else"])
            assert.equal(parseChildName(name), undefined, name);
    });

    it("the component's real children, cluster-wide and namespaced, all parse back to their registration", async () => {
        const [wide, narrow] = [
            clusterSecretName("https://wide.example:6443"),
            clusterSecretName("https://narrow.example:6443"),
        ];
        await register(wide, { server: "https://wide.example:6443" });
        await register(narrow, { server: "https://narrow.example:6443", namespaces: ["apps", "token"] });
        for (const registration of [wide, narrow]) {
            const children = mocks.resources.filter((r) => r.name.startsWith(`${registration}-`));
            assert.ok(children.length >= 6, `${registration}: ${children.map((r) => r.name).join(", ")}`);
            for (const child of children)
                assert.equal(parseChildName(child.name)?.registration, registration, child.name);
        }
        const roles = mocks.resources
            .filter((r) => r.type === "kubernetes:rbac.authorization.k8s.io/v1:Role")
            .map((r) => parseChildName(r.name));
        assert.deepEqual(roles.map((r) => [r?.part, r?.namespace]).sort(), [
            ["role", "apps"],
            ["role", "token"],
        ]);
    });
});
