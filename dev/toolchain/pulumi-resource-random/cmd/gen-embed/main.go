// Command gen-embed turns the tfgen output into the files ../../main.go
// embeds: schema-embed.json (schema.json with the package version set) and
// bridge-metadata.json (copied as is).
//
// Usage: go run ./cmd/gen-embed TFGEN_OUT_DIR DST_DIR VERSION
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
)

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "gen-embed: "+format+"\n", args...)
	os.Exit(1)
}

func main() {
	if len(os.Args) != 4 {
		fail("usage: gen-embed TFGEN_OUT_DIR DST_DIR VERSION")
	}
	src, dst, version := os.Args[1], os.Args[2], os.Args[3]

	raw, err := os.ReadFile(filepath.Join(src, "schema.json"))
	if err != nil {
		fail("%v", err)
	}
	var spec schema.PackageSpec
	if err := json.Unmarshal(raw, &spec); err != nil {
		fail("parsing schema.json: %v", err)
	}
	spec.Version = version
	out, err := json.Marshal(spec)
	if err != nil {
		fail("encoding schema: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dst, "schema-embed.json"), out, 0o644); err != nil {
		fail("%v", err)
	}

	meta, err := os.ReadFile(filepath.Join(src, "bridge-metadata.json"))
	if err != nil {
		fail("%v", err)
	}
	if !json.Valid(meta) {
		fail("bridge-metadata.json is not valid JSON")
	}
	if err := os.WriteFile(filepath.Join(dst, "bridge-metadata.json"), meta, 0o644); err != nil {
		fail("%v", err)
	}
}
