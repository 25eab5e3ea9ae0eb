package deps
import (
	_ "github.com/google/go-containerregistry/pkg/v1/remote"
	_ "github.com/google/go-containerregistry/pkg/registry"
	_ "github.com/spf13/cobra"
	_ "github.com/vbauerster/mpb/v8"
	_ "github.com/klauspost/compress/zstd"
	_ "github.com/klauspost/compress/gzip"
	_ "github.com/opencontainers/runtime-spec/specs-go"
	_ "github.com/creack/pty"
	_ "golang.org/x/sys/unix"
	_ "golang.org/x/term"
	_ "github.com/vishvananda/netlink"
	_ "github.com/google/nftables"
	_ "golang.org/x/crypto/bcrypt"
)
