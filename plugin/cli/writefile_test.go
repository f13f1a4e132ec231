package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteSecretFile(t *testing.T) {
	mode := func(t *testing.T, p string) os.FileMode {
		t.Helper()
		fi, err := os.Lstat(p)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Mode()
	}
	read := func(t *testing.T, p string) string {
		t.Helper()
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}

	t.Run("new file is 0600", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "pin.yaml")
		if err := writeSecretFile(p, []byte("x"), false); err != nil {
			t.Fatal(err)
		}
		if m := mode(t, p); m.Perm() != 0o600 {
			t.Errorf("mode %v, want 0600", m)
		}
	})

	t.Run("existing file without force is refused and kept", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "pin.yaml")
		if err := os.WriteFile(p, []byte("old"), 0o644); err != nil {
			t.Fatal(err)
		}
		err := writeSecretFile(p, []byte("new"), false)
		if ExitCode(err) != ExitUsage || !strings.Contains(err.Error(), "exists: pass --force") {
			t.Fatalf("error %v, want a usage error naming --force", err)
		}
		if read(t, p) != "old" {
			t.Error("the existing file changed")
		}
	})

	t.Run("force on a 0644 file leaves 0600", func(t *testing.T) {
		dir := t.TempDir()
		p := filepath.Join(dir, "pin.yaml")
		if err := os.WriteFile(p, []byte("old, longer than the new content"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := writeSecretFile(p, []byte("new"), true); err != nil {
			t.Fatal(err)
		}
		if m := mode(t, p); m.Perm() != 0o600 {
			t.Errorf("mode %v, want 0600 (the old file was 0644)", m)
		}
		if got := read(t, p); got != "new" {
			t.Errorf("content %q, want %q", got, "new")
		}
		if ents, _ := os.ReadDir(dir); len(ents) != 1 {
			t.Errorf("temporary file left behind: %v", ents)
		}
	})

	t.Run("force replaces a symlink, never writes through it", func(t *testing.T) {
		dir := t.TempDir()
		target := filepath.Join(dir, "elsewhere.yaml")
		if err := os.WriteFile(target, []byte("not yours"), 0o644); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, "pin.yaml")
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
		if err := writeSecretFile(p, []byte("new"), true); err != nil {
			t.Fatal(err)
		}
		if m := mode(t, p); m&os.ModeSymlink != 0 || m.Perm() != 0o600 {
			t.Errorf("%s mode %v, want a regular 0600 file", p, m)
		}
		if read(t, target) != "not yours" || mode(t, target).Perm() != 0o644 {
			t.Error("the symlink's target was written or changed")
		}
	})

	t.Run("without force a symlink (even dangling) is refused", func(t *testing.T) {
		dir := t.TempDir()
		p := filepath.Join(dir, "pin.yaml")
		target := filepath.Join(dir, "missing.yaml")
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
		if err := writeSecretFile(p, []byte("new"), false); ExitCode(err) != ExitUsage {
			t.Fatalf("error %v, want a usage error", err)
		}
		if _, err := os.Lstat(target); !os.IsNotExist(err) {
			t.Error("the dangling symlink's target was created")
		}
	})

	t.Run("force on a directory is refused", func(t *testing.T) {
		dir := t.TempDir()
		err := writeSecretFile(dir, []byte("new"), true)
		if ExitCode(err) != ExitUsage || !strings.Contains(err.Error(), "is a directory") {
			t.Fatalf("error %v, want a usage error", err)
		}
	})
}
