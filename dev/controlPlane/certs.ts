/**
 * A throwaway CA and serving certificate per cluster, made with openssl. FOR TESTS ONLY: keys are written
 * unencrypted to a temporary directory that is deleted with the clusters.
 */
import { execFileSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

export interface ClusterCerts {
    caCert: string;
    servingCert: string;
    servingKey: string;
    /** Service-account token signing keys. */
    serviceAccountKey: string;
    serviceAccountPub: string;
}

function openssl(args: string[], cwd: string): void {
    execFileSync("openssl", args, { cwd, stdio: ["ignore", "ignore", "pipe"] });
}

/** `extraIps`: further addresses the serving certificate names (a server reached under several URLs). */
export function makeCerts(dir: string, commonName: string, host: string, extraIps: string[] = []): ClusterCerts {
    fs.mkdirSync(dir, { recursive: true });
    openssl(
        [
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "2",
            "-keyout",
            "ca.key",
            "-out",
            "ca.crt",
            "-subj",
            `/CN=${commonName}-ca`,
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ],
        dir,
    );
    openssl(
        [
            "req",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            "serving.key",
            "-out",
            "serving.csr",
            "-subj",
            `/CN=${commonName}`,
        ],
        dir,
    );
    fs.writeFileSync(
        path.join(dir, "serving.ext"),
        [
            "basicConstraints=CA:FALSE",
            "keyUsage=critical,digitalSignature",
            "extendedKeyUsage=serverAuth",
            `subjectAltName=IP:${host},IP:127.0.0.1,DNS:localhost,IP:10.0.0.1,DNS:kubernetes.default.svc${extraIps.map((ip) => `,IP:${ip}`).join("")}`,
        ].join("\n"),
    );
    openssl(
        [
            "x509",
            "-req",
            "-in",
            "serving.csr",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-out",
            "serving.crt",
            "-extfile",
            "serving.ext",
        ],
        dir,
    );
    const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    fs.writeFileSync(path.join(dir, "sa.key"), privateKey.export({ type: "pkcs8", format: "pem" }));
    fs.writeFileSync(path.join(dir, "sa.pub"), publicKey.export({ type: "spki", format: "pem" }));
    return {
        caCert: path.join(dir, "ca.crt"),
        servingCert: path.join(dir, "serving.crt"),
        servingKey: path.join(dir, "serving.key"),
        serviceAccountKey: path.join(dir, "sa.key"),
        serviceAccountPub: path.join(dir, "sa.pub"),
    };
}

/** A CA of its own and a serving certificate it signs for `dnsName`: what a load balancer or a public CA serves. */
export interface ExternalCert {
    caPem: Buffer;
    certPem: Buffer;
    keyPem: Buffer;
}

/**
 * An endpoint certificate from another CA than the cluster's, as OpenShift's named certificates or a load
 * balancer present. FOR TESTS ONLY, like makeCerts.
 */
export function makeExternalCert(dir: string, dnsName: string): ExternalCert {
    fs.mkdirSync(dir, { recursive: true });
    openssl(
        [
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "2",
            "-keyout",
            "external-ca.key",
            "-out",
            "external-ca.crt",
            "-subj",
            `/CN=external-ca-${dnsName}`,
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ],
        dir,
    );
    openssl(
        [
            "req",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            "external.key",
            "-out",
            "external.csr",
            "-subj",
            `/CN=${dnsName}`,
        ],
        dir,
    );
    fs.writeFileSync(
        path.join(dir, "external.ext"),
        [
            "basicConstraints=CA:FALSE",
            "keyUsage=critical,digitalSignature",
            "extendedKeyUsage=serverAuth",
            `subjectAltName=DNS:${dnsName}`,
        ].join("\n"),
    );
    openssl(
        [
            "x509",
            "-req",
            "-in",
            "external.csr",
            "-CA",
            "external-ca.crt",
            "-CAkey",
            "external-ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-out",
            "external.crt",
            "-extfile",
            "external.ext",
        ],
        dir,
    );
    return {
        caPem: fs.readFileSync(path.join(dir, "external-ca.crt")),
        certPem: fs.readFileSync(path.join(dir, "external.crt")),
        keyPem: fs.readFileSync(path.join(dir, "external.key")),
    };
}
