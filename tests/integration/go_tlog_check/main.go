// Command go_tlog_check verifies grantreview's transparency log output with Go's own
// golang.org/x/mod/sumdb/note and golang.org/x/mod/sumdb/tlog, code we did not write.
//
// It reads one directory written by tests/integration/test_tlog_go_interop.py:
//
//	vkey, checkpoint, cosigner (name and base64 key), cases.json, and the tiles under tile/.
//
// It prints one line per check and exits 1 on the first failure.
package main

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

type inclusion struct {
	Index int64    `json:"index"`
	Leaf  string   `json:"leaf"`
	Proof []string `json:"proof"`
}

type consistency struct {
	Old     int64    `json:"old"`
	OldRoot string   `json:"old_root"`
	Proof   []string `json:"proof"`
}

type cases struct {
	Inclusions    []inclusion   `json:"inclusions"`
	Consistencies []consistency `json:"consistencies"`
	TileGrowth    [][2]int64    `json:"tile_growth"`
	TilePaths     [][]string    `json:"tile_paths"`
}

func fail(format string, args ...interface{}) {
	fmt.Printf("FAIL "+format+"\n", args...)
	os.Exit(1)
}

func read(dir, name string) []byte {
	data, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		fail("read %s: %v", name, err)
	}
	return data
}

func hash(b64 string) tlog.Hash {
	h, err := tlog.ParseHash(b64)
	if err != nil {
		fail("hash %q: %v", b64, err)
	}
	return h
}

func hashes(list []string) []tlog.Hash {
	out := make([]tlog.Hash, len(list))
	for i, s := range list {
		out[i] = hash(s)
	}
	return out
}

// c2spPath drops the height element of Go's sumdb tile paths: tile/8/L/N -> tile/L/N.
func c2spPath(t tlog.Tile) string {
	return strings.Replace(t.Path(), "tile/8/", "tile/", 1)
}

// widest keeps, of each tile, its widest version: this x/mod publishes every partial width
// between two sizes; tlog-tiles asks only for those of checkpointed sizes, which we write.
func widest(tiles []tlog.Tile) []tlog.Tile {
	var out []tlog.Tile
	for _, t := range tiles {
		if n := len(out); n > 0 && out[n-1].L == t.L && out[n-1].N == t.N {
			out[n-1] = t
			continue
		}
		out = append(out, t)
	}
	return out
}

func contains(tiles []tlog.Tile, t tlog.Tile) bool {
	for _, u := range tiles {
		if u == t {
			return true
		}
	}
	return false
}

type dirTiles struct{ dir string }

func (d dirTiles) Height() int { return 8 }

func (d dirTiles) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		data, err := os.ReadFile(filepath.Join(d.dir, filepath.FromSlash(c2spPath(t))))
		if err != nil {
			return nil, err
		}
		out[i] = data
	}
	return out, nil
}

func (d dirTiles) SaveTiles(tiles []tlog.Tile, data [][]byte) {}

// cosigner verifies C2SP tlog-cosignature/v1 lines (type 0x04) inside Go's note.Open.
type cosigner struct {
	name string
	key  ed25519.PublicKey
}

func (c cosigner) Name() string { return c.name }

func (c cosigner) KeyHash() uint32 {
	h := sha256.Sum256(append([]byte(c.name+"\n\x04"), c.key...))
	return binary.BigEndian.Uint32(h[:4])
}

func (c cosigner) Verify(msg, sig []byte) bool {
	if len(sig) != 8+ed25519.SignatureSize {
		return false
	}
	t := binary.BigEndian.Uint64(sig[:8])
	signed := append([]byte("cosignature/v1\ntime "+strconv.FormatUint(t, 10)+"\n"), msg...)
	return ed25519.Verify(c.key, signed, sig[8:])
}

func main() {
	dir := os.Args[1]
	verifier, err := note.NewVerifier(strings.TrimSpace(string(read(dir, "vkey"))))
	if err != nil {
		fail("vkey: %v", err)
	}
	witness := strings.Fields(string(read(dir, "cosigner")))
	witnessKey, _ := base64.StdEncoding.DecodeString(witness[1])
	cos := cosigner{witness[0], ed25519.PublicKey(witnessKey)}
	n, err := note.Open(read(dir, "checkpoint"), note.VerifierList(verifier, cos))
	if err != nil {
		fail("checkpoint note: %v", err)
	}
	if len(n.Sigs) != 2 {
		fail("checkpoint: %d verified signatures, want the log's and the cosigner's", len(n.Sigs))
	}
	lines := strings.Split(n.Text, "\n")
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || strconv.FormatInt(size, 10) != lines[1] {
		fail("checkpoint size %q", lines[1])
	}
	root := hash(lines[2])
	fmt.Printf("ok note: origin %s size %d, signed by the log and cosigned\n", lines[0], size)

	var c cases
	if err := json.Unmarshal(read(dir, "cases.json"), &c); err != nil {
		fail("cases: %v", err)
	}
	for _, inc := range c.Inclusions {
		leaf, _ := base64.StdEncoding.DecodeString(inc.Leaf)
		if err := tlog.CheckRecord(hashes(inc.Proof), size, root, inc.Index, tlog.RecordHash(leaf)); err != nil {
			fail("inclusion of %d in %d: %v", inc.Index, size, err)
		}
	}
	fmt.Printf("ok inclusion: %d proofs\n", len(c.Inclusions))
	for _, con := range c.Consistencies {
		if err := tlog.CheckTree(hashes(con.Proof), size, root, con.Old, hash(con.OldRoot)); err != nil {
			fail("consistency %d -> %d: %v", con.Old, size, err)
		}
	}
	fmt.Printf("ok consistency: %d proofs\n", len(c.Consistencies))

	reader := tlog.TileHashReader(tlog.Tree{N: size, Hash: root}, dirTiles{dir})
	th, err := tlog.TreeHash(size, reader)
	if err != nil || th != root {
		fail("tree hash from our tiles: %v %v", th, err)
	}
	for _, inc := range c.Inclusions {
		proof, err := tlog.ProveRecord(size, inc.Index, reader)
		if err != nil || len(proof) != len(inc.Proof) {
			fail("proof over our tiles for %d: %v", inc.Index, err)
		}
		for i := range proof {
			if proof[i] != hash(inc.Proof[i]) {
				fail("proof over our tiles for %d differs at %d", inc.Index, i)
			}
		}
	}
	fmt.Printf("ok tiles: Go reads our tiles, gets our root and our proofs\n")

	for i, g := range c.TileGrowth {
		existed := widest(tlog.NewTiles(8, 0, g[0]))
		var got []string
		for _, t := range widest(tlog.NewTiles(8, g[0], g[1])) {
			if !contains(existed, t) {
				got = append(got, c2spPath(t))
			}
		}
		if strings.Join(got, " ") != strings.Join(c.TilePaths[i], " ") {
			fail("tiles %d -> %d: Go %v, ours %v", g[0], g[1], got, c.TilePaths[i])
		}
	}
	fmt.Printf("ok tile paths: %d growths\n", len(c.TileGrowth))
}
