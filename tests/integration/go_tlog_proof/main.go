// Command go_tlog_proof reads and writes C2SP tlog-proof@v1 files (https://c2sp.org/tlog-proof)
// with Go's own golang.org/x/mod/sumdb/note and golang.org/x/mod/sumdb/tlog, code we did not
// write. Splitting the text into lines is this test program's; every signature, hash and tree
// check is the library's (note.Open, tlog.ParseHash, tlog.RecordHash, tlog.CheckRecord,
// tlog.TileHashReader, tlog.ProveRecord).
//
//	go_tlog_proof check VKEY_FILE PROOF_FILE...
//	    verify each proof: the checkpoint with note.Open and the vkey, then the extra line's
//	    bytes as the record with tlog.CheckRecord against the checkpoint's tree.
//	go_tlog_proof write DIR INDEX RECORD_FILE OUT_FILE
//	    write the proof of leaf INDEX (record bytes in extra) over the tiles and checkpoint
//	    of DIR (as tests/integration/test_tlog_go_interop.py writes them), with tlog.ProveRecord.
//
// It prints one line per proof and exits 1 on the first failure.
package main

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

const header = "c2sp.org/tlog-proof@v1"

func fail(format string, args ...interface{}) {
	fmt.Printf("FAIL "+format+"\n", args...)
	os.Exit(1)
}

func read(path string) []byte {
	data, err := os.ReadFile(path)
	if err != nil {
		fail("read %s: %v", path, err)
	}
	return data
}

// openCheckpoint verifies a checkpoint note with note.Open and returns its origin and tree.
func openCheckpoint(data []byte, verifier note.Verifier) (string, tlog.Tree) {
	n, err := note.Open(data, note.VerifierList(verifier))
	if err != nil {
		fail("checkpoint note: %v", err)
	}
	lines := strings.Split(n.Text, "\n")
	if len(lines) < 4 {
		fail("checkpoint text %q", n.Text)
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || strconv.FormatInt(size, 10) != lines[1] {
		fail("checkpoint size %q", lines[1])
	}
	root, err := tlog.ParseHash(lines[2])
	if err != nil {
		fail("checkpoint root %q: %v", lines[2], err)
	}
	return lines[0], tlog.Tree{N: size, Hash: root}
}

func check(verifier note.Verifier, path string) {
	data := read(path)
	blank := bytes.Index(data, []byte("\n\n"))
	if blank < 0 {
		fail("%s: no empty line before the checkpoint", path)
	}
	lines := strings.Split(string(data[:blank]), "\n")
	if lines[0] != header {
		fail("%s: first line %q", path, lines[0])
	}
	lines = lines[1:]
	var extra []byte
	if len(lines) > 0 && strings.HasPrefix(lines[0], "extra ") {
		var err error
		extra, err = base64.StdEncoding.Strict().DecodeString(strings.TrimPrefix(lines[0], "extra "))
		if err != nil || len(extra) == 0 {
			fail("%s: extra: %v", path, err)
		}
		lines = lines[1:]
	}
	if len(lines) == 0 || !strings.HasPrefix(lines[0], "index ") {
		fail("%s: no index line", path)
	}
	text := strings.TrimPrefix(lines[0], "index ")
	index, err := strconv.ParseInt(text, 10, 64)
	if err != nil || strconv.FormatInt(index, 10) != text {
		fail("%s: index %q", path, text)
	}
	var proof tlog.RecordProof
	for _, line := range lines[1:] {
		h, err := tlog.ParseHash(line)
		if err != nil {
			fail("%s: proof line %q: %v", path, line, err)
		}
		proof = append(proof, h)
	}
	origin, tree := openCheckpoint(data[blank+2:], verifier)
	if extra == nil {
		fail("%s: no extra line: no record to check", path)
	}
	if err := tlog.CheckRecord(proof, tree.N, tree.Hash, index, tlog.RecordHash(extra)); err != nil {
		fail("%s: record %d in %d: %v", path, index, tree.N, err)
	}
	fmt.Printf("ok proof: leaf %d of %d in %s\n", index, tree.N, origin)
}

type dirTiles struct{ dir string }

func (d dirTiles) Height() int { return 8 }

// ReadTiles reads C2SP tile paths: Go's sumdb paths without their height element.
func (d dirTiles) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		path := strings.Replace(t.Path(), "tile/8/", "tile/", 1)
		data, err := os.ReadFile(filepath.Join(d.dir, filepath.FromSlash(path)))
		if err != nil {
			return nil, err
		}
		out[i] = data
	}
	return out, nil
}

func (d dirTiles) SaveTiles(tiles []tlog.Tile, data [][]byte) {}

func write(dir, indexText, recordPath, out string) {
	verifier, err := note.NewVerifier(strings.TrimSpace(string(read(filepath.Join(dir, "vkey")))))
	if err != nil {
		fail("vkey: %v", err)
	}
	checkpoint := read(filepath.Join(dir, "checkpoint"))
	_, tree := openCheckpoint(checkpoint, verifier)
	index, err := strconv.ParseInt(indexText, 10, 64)
	if err != nil {
		fail("index %q: %v", indexText, err)
	}
	proof, err := tlog.ProveRecord(tree.N, index, tlog.TileHashReader(tree, dirTiles{dir}))
	if err != nil {
		fail("prove %d in %d: %v", index, tree.N, err)
	}
	var b strings.Builder
	b.WriteString(header + "\n")
	b.WriteString("extra " + base64.StdEncoding.EncodeToString(read(recordPath)) + "\n")
	b.WriteString("index " + strconv.FormatInt(index, 10) + "\n")
	for _, h := range proof {
		b.WriteString(h.String() + "\n")
	}
	b.WriteString("\n")
	b.Write(checkpoint)
	if err := os.WriteFile(out, []byte(b.String()), 0o644); err != nil {
		fail("write %s: %v", out, err)
	}
	fmt.Printf("ok wrote: leaf %d of %d, %d proof hashes\n", index, tree.N, len(proof))
}

func main() {
	switch {
	case len(os.Args) >= 4 && os.Args[1] == "check":
		verifier, err := note.NewVerifier(strings.TrimSpace(string(read(os.Args[2]))))
		if err != nil {
			fail("vkey: %v", err)
		}
		for _, path := range os.Args[3:] {
			check(verifier, path)
		}
	case len(os.Args) == 6 && os.Args[1] == "write":
		write(os.Args[2], os.Args[3], os.Args[4], os.Args[5])
	default:
		fail("usage: check VKEY_FILE PROOF_FILE... | write DIR INDEX RECORD_FILE OUT_FILE")
	}
}
