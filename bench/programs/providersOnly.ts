/**
 * Baseline program of bare kubernetes providers, one per context of $BENCH_KUBECONFIG listed in
 * $BENCH_CONTEXTS (comma-separated), made as the real program makes them (kubeconfig secret): the floor of any
 * program with one explicit provider per cluster, since the engine starts and configures every provider's
 * plugin process whether or not resources use it (bench/emptyProgram.ts).
 */
import * as fs from "node:fs";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

export = async (): Promise<Record<string, unknown>> => {
    const kubeconfig = pulumi.secret(fs.readFileSync(process.env.BENCH_KUBECONFIG!, "utf8"));
    for (const context of process.env.BENCH_CONTEXTS!.split(",")) {
        new k8s.Provider(context, { kubeconfig, context, clusterIdentifier: context });
    }
    return {};
};
