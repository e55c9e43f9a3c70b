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

export function makeCerts(dir: string, commonName: string, host: string): ClusterCerts {
    fs.mkdirSync(dir, { recursive: true });
    openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
        "-keyout", "ca.key", "-out", "ca.crt", "-subj", `/CN=${commonName}-ca`,
        "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"], dir);
    openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", "serving.key", "-out", "serving.csr", "-subj", `/CN=${commonName}`], dir);
    fs.writeFileSync(path.join(dir, "serving.ext"), [
        "basicConstraints=CA:FALSE",
        "keyUsage=critical,digitalSignature",
        "extendedKeyUsage=serverAuth",
        `subjectAltName=IP:${host},IP:127.0.0.1,DNS:localhost,IP:10.0.0.1,DNS:kubernetes.default.svc`,
    ].join("\n"));
    openssl(["x509", "-req", "-in", "serving.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
        "-days", "2", "-out", "serving.crt", "-extfile", "serving.ext"], dir);
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
