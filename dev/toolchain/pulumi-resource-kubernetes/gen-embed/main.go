// Command gen-embed prepares the files that ../main.go embeds, from the
// schema.json and terraform-mapping.json shipped inside the downloaded
// pulumi-kubernetes provider module: it stamps the schema's version and
// compacts both documents.
//
// Usage: go run ./gen-embed SRC_DIR DST_DIR VERSION
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
		fail("usage: gen-embed SRC_DIR DST_DIR VERSION")
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

	raw, err = os.ReadFile(filepath.Join(src, "terraform-mapping.json"))
	if err != nil {
		fail("%v", err)
	}
	var mapping any
	if err := json.Unmarshal(raw, &mapping); err != nil {
		fail("parsing terraform-mapping.json: %v", err)
	}
	out, err = json.Marshal(mapping)
	if err != nil {
		fail("encoding terraform mapping: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dst, "terraform-mapping-embed.json"), out, 0o644); err != nil {
		fail("%v", err)
	}
}
