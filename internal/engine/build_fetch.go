package engine

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"time"

	"github.com/geedocker/geedocker/internal/build"
)

// download fetches the URL of an ADD into a new directory of the store's
// tmp/ and returns the directory (for the caller to remove) and the file as
// a source entry: named after the URL's last path element, mode 0600, with
// the Last-Modified time when the server sends one, as Docker does.
func (b *builder) download(ctx context.Context, rawURL string) (string, build.Entry, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", build.Entry{}, fmt.Errorf("ADD %s: %w", rawURL, err)
	}
	name := path.Base(u.Path)
	if name == "/" || name == "." || name == ".." || name == "" {
		name = "index.html"
	}
	dir, err := b.e.Store.TempDir("build-url-")
	if err != nil {
		return "", build.Entry{}, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return dir, build.Entry{}, fmt.Errorf("ADD %s: %w", rawURL, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return dir, build.Entry{}, fmt.Errorf("ADD %s: %w", rawURL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return dir, build.Entry{}, fmt.Errorf("ADD %s: the server answered %s", rawURL, resp.Status)
	}
	p := filepath.Join(dir, name)
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return dir, build.Entry{}, err
	}
	_, err = io.Copy(f, resp.Body)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return dir, build.Entry{}, fmt.Errorf("ADD %s: %w", rawURL, err)
	}
	if lm, err := http.ParseTime(resp.Header.Get("Last-Modified")); err == nil {
		os.Chtimes(p, lm, lm)
	} else {
		t := time.Unix(0, 0)
		os.Chtimes(p, t, t)
	}
	e, err := build.Resolve(&build.DirTree{Dir: dir}, name)
	return dir, e, err
}
