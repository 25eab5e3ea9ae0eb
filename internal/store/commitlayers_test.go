package store

import (
	"path/filepath"
	"testing"
)

// TestCommitLayers commits several layers with one sync: all become
// visible; a batch with a bad record makes none of the later ones visible
// and leaves nothing in tmp/.
func TestCommitLayers(t *testing.T) {
	for _, tc := range []struct {
		name    string
		chains  []string
		wantErr bool
		visible []bool
	}{
		{name: "two layers", chains: []string{sha("a"), sha("b")}, visible: []bool{true, true}},
		{name: "none", chains: nil},
		{name: "a bad chain ID", chains: []string{sha("c"), "sha256:nothex"}, wantErr: true, visible: []bool{false, false}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			w, err := s.BeginWrite()
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			var ings []*LayerIngest
			var recs []Layer
			for _, c := range tc.chains {
				ing, err := s.NewLayerIngest()
				if err != nil {
					t.Fatal(err)
				}
				size := writeFiles(t, ing.Dir(), map[string]string{"f": c})
				ings, recs = append(ings, ing), append(recs, Layer{ChainID: c, DiffID: c, Size: size})
			}
			err = s.CommitLayers(ings, recs)
			if (err != nil) != tc.wantErr {
				t.Fatalf("CommitLayers: %v, want error %v", err, tc.wantErr)
			}
			for i, c := range tc.chains {
				if got := s.HasLayer(c); got != tc.visible[i] {
					t.Errorf("HasLayer(%s) = %v, want %v", c, got, tc.visible[i])
				}
			}
			if n := dirNames(t, filepath.Join(s.Root(), "tmp")); len(n) != 0 {
				t.Errorf("tmp/ after CommitLayers = %v, want empty", n)
			}
		})
	}
}
