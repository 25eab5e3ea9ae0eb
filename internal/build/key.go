package build

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
)

// CacheKey is the key of a step: the state it starts from (the parent
// image's config digest), the instruction as it will be executed (words
// expanded, build arguments in effect) and, for COPY and ADD, the digest of
// the source contents. Any change to one of them gives another key.
func CacheKey(parent, instruction, sources string) string {
	h := sha256.New()
	for _, part := range []string{"geedocker-build-v1", parent, instruction, sources} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// Describe is the instruction text a key and the history record use:
// "|N A=1 B=2 cmd" when build arguments are in effect, as Docker's classic
// builder writes RUN.
func Describe(args []string, text string) string {
	if len(args) == 0 {
		return text
	}
	return "|" + strconv.Itoa(len(args)) + " " + strings.Join(args, " ") + " " + text
}
