// Package auth reads and writes registry credentials in the Docker client's
// config file ($DOCKER_CONFIG/config.json, default ~/.docker/config.json), so
// that an existing `docker login` works with GeeDocker and the reverse.
// Fields of the file that GeeDocker does not know are kept as they are.
package auth

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// DockerHub is the key Docker uses for Docker Hub credentials.
const DockerHub = "https://index.docker.io/v1/"

// ConfigPath is the Docker config file in use.
func ConfigPath() string {
	if d := os.Getenv("DOCKER_CONFIG"); d != "" {
		return filepath.Join(d, "config.json")
	}
	home, err := os.UserHomeDir()
	if err != nil {
		home = "/root"
	}
	return filepath.Join(home, ".docker", "config.json")
}

// ServerKey is the key under "auths" for a registry as the user names it.
func ServerKey(server string) string {
	switch server {
	case "docker.io", "index.docker.io", "registry-1.docker.io", "https://index.docker.io/v1/", "https://index.docker.io/v1":
		return DockerHub
	}
	return server
}

func load(path string) (map[string]json.RawMessage, map[string]json.RawMessage, error) {
	doc := map[string]json.RawMessage{}
	auths := map[string]json.RawMessage{}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return doc, auths, nil
	}
	if err != nil {
		return nil, nil, err
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, nil, fmt.Errorf("parsing %s: %w", path, err)
	}
	if raw, ok := doc["auths"]; ok {
		if err := json.Unmarshal(raw, &auths); err != nil {
			return nil, nil, fmt.Errorf("parsing %s: auths: %w", path, err)
		}
	}
	return doc, auths, nil
}

func save(path string, doc, auths map[string]json.RawMessage) error {
	a, err := json.Marshal(auths)
	if err != nil {
		return err
	}
	doc["auths"] = a
	b, err := json.MarshalIndent(doc, "", "\t")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// Save stores user and password for server.
func Save(server, user, password string) error {
	path := ConfigPath()
	doc, auths, err := load(path)
	if err != nil {
		return err
	}
	entry, _ := json.Marshal(map[string]string{"auth": base64.StdEncoding.EncodeToString([]byte(user + ":" + password))})
	auths[ServerKey(server)] = entry
	if err := save(path, doc, auths); err != nil {
		return fmt.Errorf("saving credentials to %s: %w", path, err)
	}
	return nil
}

// Logout removes the credentials of server; removed is false when there
// were none.
func Logout(server string) (removed bool, err error) {
	path := ConfigPath()
	doc, auths, err := load(path)
	if err != nil {
		return false, err
	}
	key := ServerKey(server)
	if _, ok := auths[key]; !ok {
		return false, nil
	}
	delete(auths, key)
	return true, save(path, doc, auths)
}
