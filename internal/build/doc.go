// Package build holds what `geedocker build` needs that is not the engine:
// reading a Dockerfile (with BuildKit's own parser, instructions and shell
// word expansion), the build context and its .dockerignore, resolving COPY
// and ADD sources (globs, Docker's directory semantics) in the context or in
// an image's layers, copying them into a new layer directory, and the cache
// keys of steps.
//
// The engine runs the steps: it resolves FROM, runs RUN in a container of
// its own runtime and turns the container's overlay upper directory into a
// layer with archive.Diff, and keeps the cache in the store. This package
// neither prints nor runs anything.
package build
