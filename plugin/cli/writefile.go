package cli

import (
	"fmt"
	"os"
	"path/filepath"
)

// writeSecretFile writes data to path with mode 0600, for files that may hold a token.
// Without force it refuses a path that exists (a symlink included, dangling or not: O_EXCL
// never follows one). With force it writes a 0600 file in path's directory and renames it over
// path, so the result is 0600 whatever the old file's mode, a symlink at path is replaced (its
// target is left alone), and an interrupted write leaves the old file whole.
func writeSecretFile(path string, data []byte, force bool) error {
	if !force {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if os.IsExist(err) {
			return UsageError("%s exists: pass --force to overwrite it", path)
		}
		if err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
		if _, err := f.Write(data); err != nil {
			f.Close()
			os.Remove(path)
			return fmt.Errorf("write %s: %w", path, err)
		}
		return f.Close()
	}
	if fi, err := os.Lstat(path); err == nil && fi.IsDir() {
		return UsageError("%s is a directory: give a file path to --file", path)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*") // mode 0600
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	done := false
	defer func() {
		if !done {
			os.Remove(tmp.Name())
		}
	}()
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	done = true
	return nil
}
